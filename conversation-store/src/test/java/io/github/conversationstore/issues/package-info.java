/**
 * Regression tests of the core: one reported defect per class, named by its symptom (what a user
 * saw break, not the fix or the feature). The class comment says where the defect was reported,
 * what broke and what holds now; the test was seen failing before the fix, and its assertions are
 * not changed afterwards (it may move, it is not rewritten). Tests of contracts, including
 * scenarios that tried to break a guarantee and found it held, live next to their contracts
 * instead. See the project's docs/CONTRIBUTING.md.
 */
package io.github.conversationstore.issues;
