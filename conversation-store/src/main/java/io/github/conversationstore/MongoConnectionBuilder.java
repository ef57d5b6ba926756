package io.github.conversationstore;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.WriteConcern;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import java.util.Objects;

/**
 * The settings of where the Mongo store connects: the application's client, a connection string or
 * client settings, and the database. Package-private: its public methods appear on
 * {@link MongoConversationStore.Builder}.
 *
 * @param <B> the concrete builder
 */
abstract class MongoConnectionBuilder<B extends MongoConnectionBuilder<B>> extends MongoLayoutBuilder<B> {
    private MongoClient client;
    private String connectionString;
    private MongoClientSettings clientSettings;
    private String databaseName;
    private MongoDatabase database;

    MongoConnectionBuilder() {}

    /**
     * Uses this client; the store does not close it. Excludes {@link #connectionString(String)}
     * and {@link #clientSettings(MongoClientSettings)}.
     *
     * @param value the client
     * @return this builder
     */
    public B client(MongoClient value) {
        this.client = Objects.requireNonNull(value, "client");
        return self();
    }

    /**
     * Creates a client from this connection string; {@link MongoConversationStore#close()}
     * closes it. Excludes {@link #client(MongoClient)} and {@link #clientSettings(MongoClientSettings)}.
     *
     * @param value a {@code mongodb://} or {@code mongodb+srv://} connection string
     * @return this builder
     */
    public B connectionString(String value) {
        this.connectionString = Objects.requireNonNull(value, "connectionString");
        return self();
    }

    /**
     * Creates a client from these settings (command listeners, pools, credentials, TLS);
     * {@link MongoConversationStore#close()} closes it. Excludes {@link #client(MongoClient)}
     * and {@link #connectionString(String)}.
     *
     * @param value the client settings
     * @return this builder
     * @since 0.2.0
     */
    public B clientSettings(MongoClientSettings value) {
        this.clientSettings = Objects.requireNonNull(value, "clientSettings");
        return self();
    }

    /**
     * Sets the database name (required unless {@link #database(MongoDatabase, MongoClient)} is used).
     *
     * @param value the database name
     * @return this builder
     */
    public B database(String value) {
        this.databaseName = Objects.requireNonNull(value, "database");
        this.database = null;
        return self();
    }

    /**
     * Uses this database, and the client it came from, which the store does not close; its
     * codec registry and read settings do not matter (the store sets its own), its write
     * concern is replaced by {@link MongoConversationStore.Builder#writeConcern(WriteConcern)}. Excludes a client,
     * connection string or client settings.
     *
     * @param value the database
     * @param owner the client {@code value} came from
     * @return this builder
     * @since 0.2.0
     */
    public B database(MongoDatabase value, MongoClient owner) {
        this.database = Objects.requireNonNull(value, "database");
        this.client = Objects.requireNonNull(owner, "owner");
        this.databaseName = null;
        return self();
    }

    /** What the store is made of: the client, the database, and whether the store closes the client. */
    interface StoreFactory<S> {
        S create(MongoClient client, MongoDatabase database, boolean ownsClient);
    }

    /** Refuses settings naming no source of a client or several, or no database. */
    void checkConnection() {
        int sources = (client != null ? 1 : 0) + (connectionString != null ? 1 : 0) + (clientSettings != null ? 1 : 0);
        if (sources != 1) {
            throw new IllegalStateException(
                    "exactly one of client, connectionString, clientSettings and database(MongoDatabase, MongoClient) is required");
        }
        if (database == null && databaseName == null) {
            throw new IllegalStateException("database is required");
        }
        if (databaseName != null) {
            Checks.databaseName(databaseName);
        }
    }

    /**
     * Makes the store on the application's client, or on one created from the connection string or
     * settings, which is closed again if the store cannot be made.
     */
    <S> S connect(StoreFactory<S> factory) {
        if (client != null) {
            return factory.create(client, databaseOf(client), false);
        }
        MongoClient created = clientSettings != null
                ? MongoClients.create(clientSettings)
                : MongoClients.create(new ConnectionString(connectionString));
        try {
            return factory.create(created, databaseOf(created), true);
        } catch (RuntimeException e) {
            created.close();
            throw e;
        }
    }

    private MongoDatabase databaseOf(MongoClient source) {
        return database != null ? database : source.getDatabase(databaseName);
    }
}
