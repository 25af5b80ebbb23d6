package dev.loupe.experiments.icl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The in-context regression experiment: its baselines against numpy, the hand-wired attention layers
 * against the algorithms they implement, and the report of a reduced run.
 */
class InContextRegressionTest {
    static final ObjectMapper JSON = new ObjectMapper();

    /** numpy's answers for GD-1 (η = 0.3), GD-3 (η = 0.2) and ridge (λ = 0.5) on the same tasks. */
    @Test
    void baselinesEqualNumpy(@TempDir Path dir) throws Exception {
        RegressionTasks t = RegressionTasks.sample(new SplittableRandom(3), 7, 5, 4);
        Path data = dir.resolve("tasks.json");
        JSON.writeValue(data.toFile(), java.util.Map.of("x", t.x(), "y", t.y()));
        String script = String.join("\n",
                "import json, sys, numpy as np",
                "d = json.load(open(sys.argv[1])); X = np.array(d['x']); Y = np.array(d['y']); n = X.shape[1] - 1",
                "def gd(k, lr):",
                "    out = []",
                "    for b in range(X.shape[0]):",
                "        A, y, w = X[b, :n], Y[b, :n], np.zeros(X.shape[2])",
                "        for _ in range(k): w = w - lr / n * A.T @ (A @ w - y)",
                "        out.append(float(w @ X[b, n]))",
                "    return out",
                "ridge = [float(X[b, n] @ np.linalg.solve(X[b, :n].T @ X[b, :n] + 0.5 * np.eye(X.shape[2]), X[b, :n].T @ Y[b, :n]))",
                "         for b in range(X.shape[0])]",
                "print(json.dumps({'gd1': gd(1, 0.3), 'gd3': gd(3, 0.2), 'ridge': ridge}))");
        JsonNode np = numpy(script, data);
        double[] gd1 = InContextBaselines.gradientDescent(t, 1, 0.3), gd3 = InContextBaselines.gradientDescent(t, 3, 0.2);
        double[] ridge = InContextBaselines.ridge(t, 0.5);
        for (int b = 0; b < t.batch(); b++) {
            assertThat(gd1[b]).isCloseTo(np.get("gd1").get(b).asDouble(), within(1e-10));
            assertThat(gd3[b]).isCloseTo(np.get("gd3").get(b).asDouble(), within(1e-10));
            assertThat(ridge[b]).isCloseTo(np.get("ridge").get(b).asDouble(), within(1e-10));
        }
    }

    static JsonNode numpy(String script, Path data) throws IOException, InterruptedException {
        Path python = Path.of("/usr/bin/python3");
        Assumptions.assumeTrue(Files.isExecutable(python), "numpy absent: skipped (no /usr/bin/python3)");
        Process check = new ProcessBuilder(python.toString(), "-c", "import numpy").start();
        Assumptions.assumeTrue(check.waitFor(60, TimeUnit.SECONDS) && check.exitValue() == 0, "numpy absent: skipped");
        List<String> cmd = new ArrayList<>(List.of(python.toString(), "-c", script, data.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return JSON.readTree(out);
    }

    @Test
    void bestOneStepLearningRateMinimisesTheQueryError() {
        RegressionTasks tune = RegressionTasks.sample(new SplittableRandom(5), 400, 8, 5);
        double lr = InContextBaselines.bestLearningRate(tune, 1);
        double best = InContextBaselines.mse(InContextBaselines.gradientDescent(tune, 1, lr), tune.targets());
        for (double f : new double[] {0.9, 0.99, 1.01, 1.1}) {
            assertThat(InContextBaselines.mse(InContextBaselines.gradientDescent(tune, 1, lr * f), tune.targets())).isGreaterThan(best);
        }
        assertThat(lr).isBetween(0.1, 2.0);
    }

    /** von Oswald et al.'s construction through Loupe's linear-attention kernel is exactly one GD step. */
    @Test
    void linearAttentionConstructionIsOneGradientDescentStep() {
        for (int n : new int[] {1, 4, 15}) {
            RegressionTasks t = RegressionTasks.sample(new SplittableRandom(n), 20, n, 6);
            double c = 0.05;
            double[] model = Constructions.gradientDescentStep(6, c).predict(t.tokens(), 20, n + 1);
            double[] gd = InContextBaselines.gradientDescent(t, 1, c * n);               // η/N Σ y x·x_q with η = c·N
            for (int b = 0; b < 20; b++) assertThat(model[b]).isCloseTo(gd[b], within(1e-5 * (1 + Math.abs(gd[b]))));
        }
    }

    /** One least-squares layer is ridge regression, shrunk by the query's own key; close to ridge for N ≫ d. */
    @Test
    void leastSquaresLayerIsRidgeRegression() {
        int d = 4;
        double alpha = 0.3;
        for (int n : new int[] {2, 10, 200}) {
            RegressionTasks t = RegressionTasks.sample(new SplittableRandom(10 + n), 30, n, d);
            double[] model = Constructions.ridge(d, alpha).predict(t.tokens(), 30, n + 1);
            double[] ridge = InContextBaselines.ridge(t, alpha);
            double err = 0, scale = 0;
            for (int b = 0; b < 30; b++) {
                double[][] a = new double[d][d + 1];                                      // [XᵀX + αI | x_q]
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < d; j++) for (int k = 0; k < d; k++) a[j][k] += t.x()[b][i][j] * t.x()[b][i][k];
                }
                for (int j = 0; j < d; j++) {
                    a[j][j] += alpha;
                    a[j][d] = t.x()[b][n][j];
                }
                double shrink = 1 + InContextBaselines.dot(InContextBaselines.solveSpd(a, d), t.x()[b][n]);
                assertThat(model[b]).as("N = %d", n).isCloseTo(ridge[b] / shrink, within(1e-4 * (1 + Math.abs(ridge[b]))));
                err += (model[b] - ridge[b]) * (model[b] - ridge[b]);
                scale += ridge[b] * ridge[b];
            }
            if (n == 200) assertThat(Math.sqrt(err / scale)).as("relative distance to ridge at N = 200").isLessThan(0.05);
        }
    }

    @Test
    void reducedRunWritesTheReportWithItsKeys(@TempDir Path dir) throws IOException {
        var s = new InContextRegression.Settings(4, 6, 8, 2, 60, 16, 3e-3, 40, 1e-3, 1);
        List<String> progress = new ArrayList<>();
        InContextRegression.Result r = InContextRegression.run(s, progress::add);
        IclReport.write(r, dir);
        assertThat(dir.resolve(IclReport.HTML)).content().contains("Held-out MSE").contains("GD-1");
        assertThat(Files.size(dir.resolve(IclReport.PNG))).isPositive();
        assertThat(progress).anyMatch(l -> l.contains("training linear_stack") && l.contains("60/60"));
        JsonNode j = JSON.readTree(dir.resolve(IclReport.JSON).toFile());
        assertThat(j.get("n_examples")).hasSize(6);
        assertThat(j.get("n_examples").get(5).asInt()).isEqualTo(6);
        for (String k : List.of("linear_1l", "softmax_1l", "least_squares_1l", "linear_stack", "gd_1_step", "ridge")) {
            assertThat(j.get("mse").get(k)).as(k).hasSize(6);
            for (JsonNode v : j.get("mse").get(k)) assertThat(v.asDouble()).as(k).isFinite().isNotNegative();
        }
        assertThat(j.get("linear_vs_gd1_cosine").asDouble()).isBetween(-1.0, 1.0);
        assertThat(j.get("linear_1l_weights").get("qk_token_space")).hasSize(5);
        assertThat(j.get("models").get("least_squares_1l").get("learned_alpha").get(0).asDouble()).isPositive();
        // ridge is (near) exact once N ≥ d on noise-free tasks; one GD step is not
        assertThat(j.get("mse").get("ridge").get(5).asDouble()).isLessThan(1e-3);
        assertThat(j.get("mse").get("gd_1_step").get(5).asDouble()).isGreaterThan(0.1);
    }
}
