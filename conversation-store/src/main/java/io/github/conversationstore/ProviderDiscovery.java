package io.github.conversationstore;

import io.github.conversationstore.spi.ReplyProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/** Finds a {@link ReplyProvider} with {@link ServiceLoader}, for {@link TurnService.Builder#discoverProvider()}. */
final class ProviderDiscovery {
    private ProviderDiscovery() {}

    /**
     * The only provider found, or the only one with this name.
     *
     * @param name the provider's name, or null for any
     * @throws IllegalStateException unless exactly one provider matches
     */
    static ReplyProvider find(String name) {
        List<ReplyProvider> found = new ArrayList<>();
        ServiceLoader.load(ReplyProvider.class).forEach(found::add);
        List<ReplyProvider> matching = found.stream().filter(p -> name == null || p.name().equals(name)).toList();
        if (matching.size() != 1) {
            throw new IllegalStateException("expected one reply provider" + (name == null ? "" : " named '" + name + "'")
                    + " on the class or module path, found " + matching.size() + "; available: "
                    + found.stream().map(ReplyProvider::name).toList());
        }
        return matching.get(0);
    }
}
