package io.github.conversationstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.mongodb.client.MongoClients;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;

/**
 * The suite runs on the driver it claims: the core's own build on the highest supported driver, the
 * {@code conversation-store-lowest-driver-test} module on the lowest (each passes the version it means
 * in {@code expected.driver.version}).
 */
class DriverVersionTest {

    @Test
    void suite_runsOnTheDriverItNames() throws IOException {
        String expected = System.getProperty("expected.driver.version");
        assumeTrue(expected != null && !expected.isBlank(), "expected.driver.version is not set");
        assertThat(driverVersion()).isEqualTo(expected);
    }

    static String driverVersion() throws IOException {
        URL clazz = MongoClients.class.getResource("MongoClients.class");
        assertThat(clazz).isNotNull();
        String url = clazz.toString();
        assertThat(url).startsWith("jar:");
        URL manifest = new URL(url.substring(0, url.indexOf('!') + 1) + "/META-INF/MANIFEST.MF");
        try (InputStream in = manifest.openStream()) {
            return new Manifest(in).getMainAttributes().getValue("Build-Version");
        }
    }
}
