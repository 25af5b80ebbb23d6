package dev.loupe.train;

/**
 * An endless source of training batches over token arrays, whose whole state is one number,
 * {@link #position()}: the count of batches handed out so far. Setting it with {@link #seek} puts
 * the loader exactly where a checkpoint left it.
 */
public sealed interface TokenLoader permits SequentialLoader, RandomLoader, ShuffledLoader {

    /** The next batch; advances {@link #position()} by one. */
    TokenBatch next();

    /** Batches handed out so far (the loader's entire state, saved in checkpoints). */
    long position();

    /** Continues as if {@code position} batches had been handed out. */
    void seek(long position);

    /** "sequential", "random" or "shuffled", as on the command line and in checkpoints. */
    String kind();
}
