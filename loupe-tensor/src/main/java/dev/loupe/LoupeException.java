package dev.loupe;

/**
 * A failure the user caused or can act on (a bad file, a missing model, a wrong shape in a file):
 * its message names the file, the field and what was expected, and the CLI shows it as one line on
 * stderr with exit code 1 and no stack trace.
 */
public class LoupeException extends RuntimeException {
    public LoupeException(String message) {
        super(message);
    }

    public LoupeException(String message, Throwable cause) {
        super(message, cause);
    }
}
