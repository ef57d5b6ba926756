package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/** The BOM pins every published module of the build, at the build's version, and nothing else. */
class BomTest {

    private static final Path ROOT = Path.of("..");

    @Test
    void bom_listsEveryPublishedModule_atTheBuildsVersion() throws Exception {
        Document parent = read(ROOT.resolve("pom.xml"));
        Document bom = read(ROOT.resolve("conversation-store-bom/pom.xml"));

        List<String> notPublished = texts(parent, "artifact"); // the release profile's excludeArtifacts
        List<String> published = new ArrayList<>();
        for (String module : texts(parent, "module")) {
            Document pom = read(ROOT.resolve(module).resolve("pom.xml"));
            String artifactId = childText(pom.getDocumentElement(), "artifactId");
            String packaging = childText(pom.getDocumentElement(), "packaging");
            if (!notPublished.contains(artifactId) && !"pom".equals(packaging)) {
                published.add(artifactId);
            }
        }

        Element managed = (Element) bom.getElementsByTagName("dependencyManagement").item(0);
        List<String> pinned = new ArrayList<>();
        NodeList dependencies = managed.getElementsByTagName("dependency");
        for (int i = 0; i < dependencies.getLength(); i++) {
            Element dependency = (Element) dependencies.item(i);
            assertThat(childText(dependency, "groupId")).isEqualTo("io.github.conversationstore");
            assertThat(childText(dependency, "version")).isEqualTo("${project.version}");
            pinned.add(childText(dependency, "artifactId"));
        }
        assertThat(published).contains("conversation-store");
        assertThat(pinned).containsExactlyInAnyOrderElementsOf(published);
        assertThat(childText(bom.getDocumentElement(), "version"))
                .isEqualTo(childText(parent.getDocumentElement(), "version"));
        assertThat(bom.getElementsByTagName("parent").getLength()).as("the BOM has no parent").isZero();
    }

    private static Document read(Path pom) throws Exception {
        assertThat(pom).exists();
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(Files.newInputStream(pom));
    }

    private static List<String> texts(Document document, String tag) {
        List<String> values = new ArrayList<>();
        NodeList nodes = document.getElementsByTagName(tag);
        for (int i = 0; i < nodes.getLength(); i++) {
            values.add(nodes.item(i).getTextContent().trim());
        }
        return values;
    }

    private static String childText(Element element, String tag) {
        for (Node child = element.getFirstChild(); child != null; child = child.getNextSibling()) {
            if (child instanceof Element e && e.getTagName().equals(tag)) {
                return e.getTextContent().trim();
            }
        }
        return null;
    }
}
