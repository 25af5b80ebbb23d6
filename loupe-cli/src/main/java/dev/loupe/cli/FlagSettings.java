package dev.loupe.cli;

import dev.loupe.cli.UsageException;

import java.util.function.Supplier;

/** Experiment settings built from flags: a value the settings record refuses is a usage error (exit 2). */
public final class FlagSettings {
    private FlagSettings() {}

    /** {@code make.get()}, with its IllegalArgumentException turned into a {@link UsageException} with the same message. */
    public static <T> T check(Supplier<T> make) {
        try {
            return make.get();
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }
}
