package dev.loupe.experiments.superposition;

import dev.loupe.experiments.Progress;
import dev.loupe.tensor.Parallel;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * "Toy Models of Superposition" (Elhage et al. 2022), reproduced: many {@link ToyModel}s, one per
 * (shape, importance, sparsity, ReLU or linear, seed), trained side by side on every core. Two sweeps:
 * <ul>
 * <li>the paper's first figures — n = 20 features in m = 5 dimensions with importance 0.7^i, and n = 80 in
 *     m = 20 with 0.9^i — at sparsities 0 … 0.999, each with the ReLU model and the linear control: the
 *     linear model keeps the m most important features in orthogonal directions at every sparsity, the
 *     ReLU model packs ever more features into superposition as they grow sparser;</li>
 * <li>the feature-dimensionality figure — uniform importance, sparsity swept finely — where each
 *     feature's dimensionality D_i sticks at the fractions 1, 3/4, 2/3, 1/2, 2/5, 3/8, 1/3 of the
 *     paper's geometric configurations (ReLU models only).</li>
 * </ul>
 * Deterministic given the seed: each model's initialisation and data come from its own generator, seeded
 * from the seed and its shape and sparsity (the ReLU model and its linear control see the same data), and
 * a model trains on one thread, so the thread count does not change any number.
 * {@link SuperpositionReport} writes the result.
 */
public final class Superposition {
    /** A shape and an importance decay: n features, m hidden dimensions, I_i = decay^i. */
    public record Family(int n, int m, double importanceDecay) {
        public Family {
            if (n < 2 || m < 1 || m >= n) throw new IllegalArgumentException("need 1 ≤ m < n, got n " + n + ", m " + m);
            if (!(importanceDecay > 0 && importanceDecay <= 1)) throw new IllegalArgumentException("importance decay must be in (0, 1], got " + importanceDecay);
        }

        /** "n20_m5_decay0.7". */
        public String name() {
            return String.format(Locale.ROOT, "n%d_m%d_decay%s", n, m, trim(importanceDecay));
        }
    }

    /**
     * @param seed              the base seed; replicate r of each model uses seed + r
     * @param seeds             models per sparsity and family (replicates), ≥ 1
     * @param steps             training steps of every model
     * @param batch             samples per step
     * @param optimizer         AdamW's settings
     * @param families          the decaying-importance shapes of the first sweep
     * @param sparsities        that sweep's sparsities, each in [0, 1)
     * @param uniform           the shape of the feature-dimensionality sweep (importance decay 1), or null for none
     * @param uniformSparsities that sweep's sparsities
     */
    public record Settings(long seed, int seeds, int steps, int batch, ToyModel.Optimizer optimizer, List<Family> families,
                           List<Double> sparsities, Family uniform, List<Double> uniformSparsities) {
        public Settings {
            if (seeds < 1 || seeds > 100) throw new IllegalArgumentException("seeds must be between 1 and 100, got " + seeds);
            if (steps < 1 || steps > 1_000_000) throw new IllegalArgumentException("steps must be between 1 and 1000000, got " + steps);
            if (batch < 1 || batch > 1 << 20) throw new IllegalArgumentException("batch must be between 1 and 1048576, got " + batch);
            for (double s : sparsities) checkSparsity(s);
            for (double s : uniformSparsities) checkSparsity(s);
            if (uniform != null && uniform.importanceDecay() != 1) throw new IllegalArgumentException("the uniform sweep needs importance decay 1");
            families = List.copyOf(families);
            sparsities = List.copyOf(sparsities);
            uniformSparsities = List.copyOf(uniformSparsities);
        }

        /**
         * The paper's setup: 10 000 steps of batch 1024, AdamW lr 1e-3 ({@link ToyModel.Optimizer#paper}),
         * families (20, 5, 0.7) and (80, 20, 0.9) at sparsities 0, 0.7, 0.9, 0.97, 0.99, 0.997, 0.999, and
         * the uniform sweep scaled to 2 cores: n = {@code uniformN}, m = {@code uniformM} at 1/(1 − S) =
         * 10^(k/12), k = 0 … {@code points} − 1 (16 points: 1 … 17.8, where the dimensionalities change; beyond,
         * every feature is represented and D_i = m/n).
         */
        public static Settings paper(long seed, int seeds, int uniformN, int uniformM, int points) {
            List<Double> fine = new ArrayList<>();
            for (int k = 0; k < points; k++) fine.add(k == 0 ? 0.0 : 1 - Math.pow(10, -k / 12.0));
            return new Settings(seed, seeds, 10_000, 1024, ToyModel.Optimizer.paper(),
                    List.of(new Family(20, 5, 0.7), new Family(80, 20, 0.9)), List.of(0.0, 0.7, 0.9, 0.97, 0.99, 0.997, 0.999),
                    points == 0 ? null : new Family(uniformN, uniformM, 1.0), fine);
        }

        /** What {@code loupe reproduce superposition} runs: {@link #paper} with seed 1, one seed, the uniform sweep at n 100, m 20, 16 points. */
        public static Settings defaults() {
            return paper(1, 1, 100, 20, 16);
        }

        private static void checkSparsity(double s) {
            if (!(s >= 0 && s < 1)) throw new IllegalArgumentException("sparsity must be in [0, 1), got " + s);
        }
    }

    /** One model to train: its family, sparsity, ReLU or linear, its seed, and which sweep it belongs to. */
    public record Spec(Family family, double sparsity, boolean relu, long seed, boolean uniformSweep) {
        /** "n20_m5_decay0.7_S0.99_relu_seed1": the stem of its files. */
        public String name() {
            return String.format(Locale.ROOT, "%s_S%s_%s_seed%d", family.name(), trim(sparsity), relu ? "relu" : "linear", seed);
        }

        /** Multiply-adds per training sample, about: the decoder and its two gradients. */
        long cost() {
            return 3L * family.n() * family.m();
        }

        /** The generator of its initial weights, data and evaluation: the same for the ReLU model and its linear control. */
        SplittableRandom random() {
            long h = seed;
            h = h * 1_000_003 + family.n();
            h = h * 1_000_003 + family.m();
            h = h * 1_000_003 + Double.doubleToLongBits(family.importanceDecay());
            h = h * 1_000_003 + Double.doubleToLongBits(sparsity);
            return new SplittableRandom(h);
        }
    }

    /** Samples of the final loss evaluation (fresh data). */
    public static final int EVAL_SAMPLES = 10_000;

    private final Settings settings;

    public Superposition(Settings settings) {
        this.settings = settings;
    }

    /** Every model the settings ask for, in report order. */
    public List<Spec> specs() {
        List<Spec> out = new ArrayList<>();
        for (Family f : settings.families()) {
            for (boolean relu : new boolean[] {false, true}) {
                for (double s : settings.sparsities()) {
                    for (int r = 0; r < settings.seeds(); r++) out.add(new Spec(f, s, relu, settings.seed() + r, false));
                }
            }
        }
        if (settings.uniform() != null) {
            for (double s : settings.uniformSparsities()) {
                for (int r = 0; r < settings.seeds(); r++) out.add(new Spec(settings.uniform(), s, true, settings.seed() + r, true));
            }
        }
        return out;
    }

    /** Trains every model, the costliest first, on {@link Parallel#threads()} threads; one progress step per model. */
    public SuperpositionResult run(Progress progress) {
        List<Spec> specs = specs();
        TrainedToyModel[] done = new TrainedToyModel[specs.size()];
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < specs.size(); i++) order.add(i);
        order.sort(Comparator.comparingLong((Integer i) -> -specs.get(i).cost()));   // stable: report order among equals
        progress.stage(String.format(Locale.ROOT, "training %d toy models (%d steps of batch %d each) on %d threads",
                specs.size(), settings.steps(), settings.batch(), Parallel.threads()));
        long start = System.nanoTime();
        AtomicInteger next = new AtomicInteger(), finished = new AtomicInteger();
        Parallel.forRange(Parallel.threads(), 1, (from, to) -> {
            for (int k; (k = next.getAndIncrement()) < order.size(); ) {
                int i = order.get(k);
                TrainedToyModel t = train(specs.get(i));
                done[i] = t;
                synchronized (progress) {
                    progress.step(finished.incrementAndGet(), specs.size(), String.format(Locale.ROOT, "%s  loss %.4g  %d features represented",
                            t.spec().name(), t.loss(), t.measures().featuresRepresented()));
                }
            }
        });
        return new SuperpositionResult(settings, List.of(done), (System.nanoTime() - start) / 1e9);
    }

    /** Trains one model and measures it. */
    public TrainedToyModel train(Spec spec) {
        SplittableRandom random = spec.random();
        Family f = spec.family();
        ToyModel model = new ToyModel(f.n(), f.m(), ToyModel.importance(f.n(), f.importanceDecay()), spec.relu(), random);
        model.train(settings.steps(), settings.batch(), spec.sparsity(), settings.optimizer(), random);
        double loss = model.loss(EVAL_SAMPLES / 1000, 1000, spec.sparsity(), random);
        return new TrainedToyModel(spec, model.w(), model.b(), loss, SuperpositionMeasures.of(model.w()));
    }

    /** A number as short as it can be written: 0.7, 0.999, 0.99842 (5 significant digits at most). */
    static String trim(double x) {
        String s = String.format(Locale.ROOT, "%.5g", x);
        if (s.contains(".") && !s.contains("e")) s = s.replaceAll("0+$", "").replaceAll("\\.$", "");
        return s;
    }
}
