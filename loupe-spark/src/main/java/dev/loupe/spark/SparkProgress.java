package dev.loupe.spark;

import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

import java.io.PrintStream;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Progress lines for a Spark job on stderr: per stage, tasks done of total, percent and an ETA
 * from the rate so far, at most every two seconds and once when the stage completes.
 */
public final class SparkProgress extends SparkListener {
    private final PrintStream err;
    private final Map<Integer, long[]> stages = new ConcurrentHashMap<>();     // id -> {tasks, done, startNanos, lastPrint}

    public SparkProgress(PrintStream err) {
        this.err = err;
    }

    @Override
    public void onStageSubmitted(SparkListenerStageSubmitted e) {
        long now = System.nanoTime();
        stages.put(e.stageInfo().stageId(), new long[] {e.stageInfo().numTasks(), 0, now, now});
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd e) {
        long[] s = stages.get(e.stageId());
        if (s == null || !e.taskInfo().successful()) return;
        synchronized (s) {
            s[1]++;
            long now = System.nanoTime();
            if (now - s[3] < 2_000_000_000L || s[1] >= s[0]) return;
            s[3] = now;
            double elapsed = (now - s[2]) / 1e9, eta = elapsed / s[1] * (s[0] - s[1]);
            err.printf("spark: stage %d: %d/%d tasks (%d%%), ETA %.0f s%n", e.stageId(), s[1], s[0], 100 * s[1] / s[0], eta);
        }
    }

    @Override
    public void onStageCompleted(SparkListenerStageCompleted e) {
        long[] s = stages.remove(e.stageInfo().stageId());
        if (s == null || e.stageInfo().failureReason().isDefined()) return;
        err.printf("spark: stage %d: %d tasks done in %.1f s%n", e.stageInfo().stageId(), s[0], (System.nanoTime() - s[2]) / 1e9);
    }
}
