package dev.loupe.spark;

import dev.loupe.LoupeException;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.tokens.Tokenizer;
import dev.loupe.tokens.Tokenizers;
import dev.loupe.train.AdamW;
import dev.loupe.train.LrSchedule;
import dev.loupe.train.TokenData;
import dev.loupe.train.Trainer;
import dev.loupe.train.TrainingHistory;
import dev.loupe.train.TrainingSettings;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Trains one configuration of a sweep, as {@code loupe train} would with the same options (AdamW
 * β 0.9/0.95, weight decay 0.1, warm-up then cosine to lr/10, gradient clip 1, random loader seeded
 * by {@code seed}, validation every {@code evalEvery} steps and at the end), and writes its model
 * directory (config.json, model.safetensors, the tokenizer if any), {@code history.json} (the loss
 * per step and per evaluation) and the loss chart.
 *
 * @param defaults   the values of keys the grid does not set (heads, d_model, layers, seed, lr, steps)
 * @param vocab      vocabulary size of the data
 * @param seq        context T
 * @param batch      rows per step B
 * @param evalEvery  validation every this many steps (and at the end)
 */
public record SweepRun(Map<String, String> defaults, int vocab, int seq, int batch, int evalEvery) implements Serializable {
    /** What one configuration reached. */
    public record Outcome(Map<String, String> configuration, double finalValLoss, float finalTrainLoss, long parameters,
                          double seconds) implements Serializable {}

    /** The model configuration of {@code conf} (grid values over the defaults). */
    public GptConfig config(Map<String, String> conf) {
        int d = Integer.parseInt(value(conf, "d_model")), heads = Integer.parseInt(value(conf, "heads"));
        if (d % heads != 0) throw new LoupeException("d_model " + d + " is not divisible by heads " + heads + " in " + SweepGrid.name(conf));
        int dMlp = conf.containsKey("d_mlp") || defaults.containsKey("d_mlp") ? Integer.parseInt(value(conf, "d_mlp")) : 4 * d;
        return new GptConfig(vocab, seq, d, Integer.parseInt(value(conf, "layers")), heads, dMlp, 1e-5f, true,
                GptConfig.Norm.PRE, GptConfig.Mlp.GELU, GptConfig.Positional.LEARNED);
    }

    private String value(Map<String, String> conf, String key) {
        String v = conf.getOrDefault(key, defaults.get(key));
        if (v == null) throw new LoupeException("the sweep has no value for " + key);
        return v;
    }

    /**
     * Trains {@code conf} on {@code data} and writes the run into {@code dir}, with {@code tokenizer}
     * (may be null) saved beside the model.
     */
    public Outcome train(Map<String, String> conf, TokenData data, Tokenizer tokenizer, Path dir) {
        long t0 = System.nanoTime();
        GptConfig c = config(conf);
        long seed = Long.parseLong(value(conf, "seed"));
        int steps = Integer.parseInt(value(conf, "steps"));
        double lr = Double.parseDouble(value(conf, "lr"));
        Gpt gpt = Gpt.create(c, seed);
        LrSchedule schedule = new LrSchedule(lr, lr / 10, Math.min(20, steps / 10), steps, LrSchedule.Kind.COSINE);
        TrainingSettings s = new TrainingSettings(batch, seq, steps, schedule, new AdamW.Settings(0.9, 0.95, 1e-8, 0.1), 1.0,
                "random", seed, evalEvery, 20, 0);
        Trainer trainer = new Trainer(gpt, s, data);
        trainer.run(new Trainer.Listener() {}, null);
        ModelDirectory.write(dir, c, gpt.parameters());
        if (tokenizer != null) Tokenizers.save(tokenizer, dir);
        TrainingHistory h = trainer.history();
        Map<String, Object> history = new LinkedHashMap<>();
        history.put("configuration", conf);
        history.put("steps", h.steps());
        history.put("evals", h.evals());
        JsonOut.write(dir.resolve("history.json"), history);
        dev.loupe.cli.train.RunCharts.lossChart(h, dir);
        long params = gpt.parameters().values().stream().mapToLong(t -> t.size()).sum();
        return new Outcome(conf, h.evals().getLast().loss(), h.steps().getLast().loss(), params, (System.nanoTime() - t0) / 1e9);
    }

}
