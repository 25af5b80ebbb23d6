package dev.loupe.web;

/** A request the explorer refuses, with the HTTP status and a one-line reason sent back as JSON. */
final class HttpError extends RuntimeException {
    final int status;
    /** The methods allowed, for the {@code Allow} header of a 405; null otherwise. */
    final String allow;

    HttpError(int status, String message) {
        this(status, message, null);
    }

    HttpError(int status, String message, String allow) {
        super(message);
        this.status = status;
        this.allow = allow;
    }
}
