package dev.loupe.cli.train;

import dev.loupe.train.TrainingHistory;

import java.nio.file.Path;

/** The loss chart {@code loupe train} draws (loss.png, loss.svg), for the runs of a Spark sweep. */
public final class RunCharts {
    private RunCharts() {}

    /** Draws {@code history}'s training and validation loss into {@code dir}. */
    public static void lossChart(TrainingHistory history, Path dir) {
        LossChart.write(history, dir);
    }
}
