package io.github.conversationstore.testing;

import com.mongodb.client.MongoDatabase;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.bson.RawBsonDocument;

/**
 * What a database holds in clear: scans every raw document of every collection, as its BSON bytes
 * (so strings inside binary values count too) and as JSON.
 */
public final class RawDocuments {
    private RawDocuments() {}

    /**
     * Returns which of {@code needles} occur in any raw document of any collection of the database.
     *
     * @param database the database to scan
     * @param needles the strings to look for (canaries of a workload)
     * @return the needles found, sorted
     * @throws AssertionError if the database holds no document at all (a scan of nothing proves nothing)
     */
    public static Set<String> containing(MongoDatabase database, Collection<String> needles) {
        Set<String> found = new TreeSet<>();
        int documents = 0;
        List<String> names = database.listCollectionNames().into(new ArrayList<>());
        for (String name : names) {
            for (RawBsonDocument raw : database.getCollection(name, RawBsonDocument.class).find()) {
                documents++;
                byte[] bytes = new byte[raw.getByteBuffer().remaining()];
                raw.getByteBuffer().get(bytes);
                String asText = new String(bytes, StandardCharsets.ISO_8859_1) + raw.toJson();
                for (String needle : needles) {
                    if (asText.contains(needle)) {
                        found.add(needle);
                    }
                }
            }
        }
        if (documents == 0) {
            throw new AssertionError("database " + database.getName() + " holds no document: nothing was scanned");
        }
        return found;
    }
}
