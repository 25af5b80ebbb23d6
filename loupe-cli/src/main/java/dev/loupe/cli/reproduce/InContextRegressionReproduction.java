package dev.loupe.cli.reproduce;

import dev.loupe.LoupeException;
import dev.loupe.cli.UsageException;
import dev.loupe.experiments.icl.IclReport;
import dev.loupe.experiments.icl.InContextRegression;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code loupe reproduce in-context-regression}: von Oswald et al. (2023), "Transformers learn in-context
 * by gradient descent", with Loupe's linear, softmax and least-squares attention (the experiment is
 * {@link InContextRegression}; this command parses flags and prints the summary).
 */
@Command(name = "in-context-regression", mixinStandardHelpOptions = true,
        description = {"Train attention-only models on fresh linear-regression problems given in context (tokens [x_i, y_i], "
                + "x in R^10, y = wᵀx with a new w per sequence, then the query [x_q, 0]): one linear self-attention layer, one "
                + "softmax layer, one least-squares layer and a stack of linear layers. On held-out tasks, N = 1 … 40 examples, "
                + "compare their MSE with one step of gradient descent (best learning rate), several steps, and ridge "
                + "regression; measure how closely the linear layer's predictions follow GD-1 and read its W_K·W_Q and "
                + "W_P·W_V against the gradient-descent construction.",
                "Writes report.html, report.json and mse.png to --out (a few minutes on 2 cores)."},
        footer = {"%nExamples:", "  loupe reproduce in-context-regression", "  loupe reproduce in-context-regression --out runs/icl --steps 2000"})
final class InContextRegressionReproduction implements Callable<Integer> {
    @Option(names = "--out", defaultValue = "runs/reproduce-in-context-regression", paramLabel = "DIR",
            description = "Output directory (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--steps", paramLabel = "N", description = "Training steps per model (default: 4000).")
    Integer steps;

    @Option(names = "--n-max", paramLabel = "N", description = "Largest number of in-context examples (default: 40).")
    Integer nMax;

    @Option(names = "--stack-layers", paramLabel = "L", description = "Layers of the linear-attention stack, 2–4 (default: 3).")
    Integer stackLayers;

    @Option(names = "--eval-tasks", paramLabel = "M", description = "Held-out tasks per N (default: 1000).")
    Integer evalTasks;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "S", description = "Seed of the tasks and the weights (default ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() {
        InContextRegression.Settings d = InContextRegression.Settings.standard();
        int st = steps != null ? steps : d.steps(), n = nMax != null ? nMax : d.nMax();
        int layers = stackLayers != null ? stackLayers : d.stackLayers(), tasks = evalTasks != null ? evalTasks : d.evalTasks();
        if (st < 20 || st > 1_000_000) throw new UsageException("--steps must be between 20 and 1000000, got " + st);
        if (n < 1 || n > 200) throw new UsageException("--n-max must be between 1 and 200, got " + n);
        if (layers < 2 || layers > 4) throw new UsageException("--stack-layers must be 2, 3 or 4, got " + layers);
        if (tasks < 10) throw new UsageException("--eval-tasks must be at least 10, got " + tasks);
        if (Files.exists(out) && !Files.isDirectory(out)) throw new UsageException("--out " + out + " exists and is not a directory");
        InContextRegression.Settings s = new InContextRegression.Settings(d.dims(), n, d.dModel(), layers, st, d.batch(), d.lr(), tasks,
                d.ridgeLambda(), seed);
        System.err.printf(Locale.ROOT, "reproduce in-context-regression: 4 models × %d steps, then held-out tasks for N = 1 … %d%n", st, n);
        InContextRegression.Result r = InContextRegression.run(s, line -> System.err.println("in-context-regression: " + line));
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new LoupeException("cannot create --out " + out + ": " + e.getMessage(), e);
        }
        IclReport.write(r, out);
        System.out.println(IclReport.summary(r));
        System.out.println("wrote " + out.resolve(IclReport.HTML) + ", " + out.resolve(IclReport.JSON) + ", " + out.resolve(IclReport.PNG));
        return 0;
    }
}
