package dev.loupe.web;

/** A request the explorer refuses, with the HTTP status and a one-line reason sent back as JSON. */
final class HttpError extends RuntimeException {
    final int status;

    HttpError(int status, String message) {
        super(message);
        this.status = status;
    }
}
