import dev.loupe.analysis.circuits.Composition;
import dev.loupe.experiments.Progress;
import dev.loupe.experiments.induction.InductionReading;
import dev.loupe.experiments.induction.InductionReport;
import dev.loupe.experiments.induction.InductionReproduction;
import dev.loupe.experiments.induction.InductionResult;

import java.nio.file.Path;

/**
 * Runs an experiment from Java and reads its result: the induction reproduction (a 2-layer
 * attention-only transformer trained on text with recurring spans), then the heads it found and
 * the K-composition of the pair, straight from the result record; the report and the trained model
 * are written to OUT (default runs/example-induction).
 *
 *   java --add-modules jdk.incubator.vector -cp loupe-cli/target/loupe.jar examples/RunExperiment.java [OUT] [STEPS]
 */
public class RunExperiment {
    public static void main(String[] args) {
        Path out = Path.of(args.length > 0 ? args[0] : "runs/example-induction");
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 4000;
        Progress progress = message -> System.err.println("induction: " + message);
        InductionResult result = new InductionReproduction(new InductionReproduction.Settings(steps, 1)).run(progress);

        InductionReading r = result.reading();
        System.out.printf("induction head %s (induction score %.2f), previous-token head %s (%.2f)%n",
                r.induction(), r.inductionScore(), r.previous(), r.previousScore());
        System.out.printf("ablating %s takes the induction score to %.2f%n", r.previous(), r.withoutPrevious());
        System.out.printf("K-composition %s -> %s: %.3f, %.1f baseline standard deviations above chance, rank %d of %d pairs%n",
                r.previous(), r.induction(), r.pairScore(Composition.K), r.pairZ(Composition.K), r.pairRank(Composition.K),
                r.composition().pairs().size());

        InductionReport.write(out, result, InductionReport.of(result), null);
        System.out.println("wrote " + out.resolve("report.md") + " and the model " + out.resolve("model"));
    }
}
