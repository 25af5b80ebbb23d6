package dev.loupe.cli;

/** A bad combination of options that picocli cannot detect by itself; reported with exit code 2. */
public class UsageException extends RuntimeException {
    public UsageException(String message) {
        super(message);
    }
}
