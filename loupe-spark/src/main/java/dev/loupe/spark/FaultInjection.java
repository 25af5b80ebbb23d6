package dev.loupe.spark;

import org.apache.spark.TaskContext;

import java.io.Serializable;

/**
 * For tests of Spark's retries: makes the first attempt of one partition's task fail (after doing
 * its work, as a crash would), so the job succeeds only through a retry. {@link #NONE} never fails.
 *
 * @param partition the partition whose first attempt fails, or -1
 */
public record FaultInjection(int partition) implements Serializable {
    /** No failure. */
    public static final FaultInjection NONE = new FaultInjection(-1);

    /** Throws on attempt 0 of the chosen partition. */
    public void maybeFail() {
        TaskContext ctx = TaskContext.get();
        if (partition >= 0 && ctx != null && ctx.partitionId() == partition && ctx.attemptNumber() == 0) {
            throw new IllegalStateException("injected failure of partition " + partition + ", attempt 0");
        }
    }
}
