package dev.loupe.spark;

import dev.loupe.LoupeException;

/**
 * Turns what a failed Spark job throws on the driver ("Job aborted due to stage failure: Task 3 in
 * stage 1.0 failed 4 times, most recent failure: ...", with the executor's stack trace inside) into
 * the one line a user needs: the executor's own message when it is a Loupe error.
 */
public final class SparkFailures {
    private SparkFailures() {}

    /** A {@link LoupeException} with the root message of {@code e}. */
    public static LoupeException explain(Exception e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof LoupeException le) return new LoupeException(le.getMessage(), e);
        }
        String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (msg.startsWith("Cannot call methods on a stopped SparkContext")) {
            return new LoupeException("the Spark cluster ended the application (no executor could start or run: see the "
                    + "workers' logs, e.g. a JDK older than 25.0.3 or too little memory for spark.executor.memory)", e);
        }
        int at = msg.indexOf("): ");
        if (msg.contains("most recent failure") && at > 0) {
            String rest = msg.substring(at + 3);
            int nl = rest.indexOf('\n');
            msg = nl > 0 ? rest.substring(0, nl) : rest;
            String loupe = LoupeException.class.getName() + ": ";
            if (msg.startsWith(loupe)) return new LoupeException(msg.substring(loupe.length()).strip(), e);
        }
        return new LoupeException("the Spark job failed: " + msg.strip(), e);
    }
}
