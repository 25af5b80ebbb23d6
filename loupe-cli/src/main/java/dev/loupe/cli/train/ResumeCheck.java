package dev.loupe.cli.train;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loupe.cli.UsageException;
import dev.loupe.model.GptConfig;
import dev.loupe.model.MoeSettings;
import dev.loupe.tokens.CharTokenizer;
import dev.loupe.tokens.Tokenizer;
import dev.loupe.train.Checkpoints;
import dev.loupe.train.TrainingSettings;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What a resumed {@code train} may be told: the options that fix the model and the optimisation
 * are compared by value with the checkpoint's, so that running the same command again resumes,
 * and only a real change is refused, naming the old and the new value.
 */
final class ResumeCheck {
    /** Key of the tokenizer choice ({@code char}, {@code gpt2}, {@code bpe:N}) in the checkpoint's extra JSON. */
    static final String TOKENIZER_KEY = "tokenizer";
    /** The tokenizer name of a run started from {@code --init} (its tokenizer is the initial model's). */
    static final String INIT_TOKENIZER = "from --init";
    /** The tokenizer name of a run on token files without a vocabulary. */
    static final String NO_TOKENIZER = "none";

    private final Path out;
    private final Checkpoints.Saved saved;

    ResumeCheck(Path out, Checkpoints.Saved saved) {
        this.out = out;
        this.saved = saved;
    }

    /**
     * Refuses (exit 2) the first option on the command line that is not in {@code mayChange} and whose
     * value differs from the run's.
     *
     * @param tokenizerName the run's tokenizer choice, from {@link #tokenizerName}
     */
    void reject(ParseResult parsed, List<String> mayChange, String tokenizerName) {
        Map<String, Object> fixed = fixedValues(tokenizerName);
        for (OptionSpec o : parsed.matchedOptions()) {
            String name = o.longestName();
            if (mayChange.contains(name)) continue;
            if (!fixed.containsKey(name)) {
                throw new UsageException(name + " cannot be given on resume: " + out + " already holds a run (step "
                        + saved.step() + "); use another --out for a new run");
            }
            Object was = fixed.get(name);
            Object given = name.equals("--tokenizer") ? TokenizerChoice.parse(String.valueOf((Object) o.getValue())).toString() : o.getValue();
            if (!same(was, given, name, tokenizerName)) {
                throw new UsageException(name + " cannot change on resume: the run in " + out + " (step " + saved.step()
                        + ") has " + name + " " + was + ", the command line gives " + given
                        + "; run it again without " + name + " (or with " + was + ") to resume, or use another --out for a new run");
            }
        }
    }

    /** The run's value of every option that fixes the model or the optimisation, by option name. */
    Map<String, Object> fixedValues(String tokenizerName) {
        GptConfig c = saved.config();
        TrainingSettings s = saved.settings();
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("--layers", c.nLayer());
        v.put("--d-model", c.dModel());
        v.put("--heads", c.nHead());
        v.put("--d-mlp", c.dMlp());
        v.put("--attn-only", c.mlp() == GptConfig.Mlp.NONE);
        v.put("--norm", lower(c.norm()));
        v.put("--positional", lower(c.positional()));
        v.put("--mlp", lower(c.mlp()));
        v.put("--tokenizer", tokenizerName);
        MoeSettings m = c.moe();
        if (m != null) {                                       // the same command line resumes an MoE run
            v.put("--moe-experts", m.experts());
            v.put("--moe-top-k", m.topK());
            v.put("--d-expert", m.dExpert());
            v.put("--moe-router", m.router().configName());
            v.put("--moe-aux-coef", m.auxLossCoef());
            v.put("--moe-z-coef", m.zLossCoef());
            v.put("--moe-capacity", m.capacityFactor());
            v.put("--moe-layers", m.layers());
        }
        v.put("--seq", s.seqLen());
        v.put("--batch", s.batch());
        v.put("--lr", s.schedule().lr());
        v.put("--min-lr", s.schedule().minLr());
        v.put("--warmup", s.schedule().warmup());
        v.put("--schedule", lower(s.schedule().kind()));
        v.put("--weight-decay", s.adam().weightDecay());
        v.put("--decay-all", s.adam().decayAll());
        v.put("--beta1", s.adam().beta1());
        v.put("--beta2", s.adam().beta2());
        v.put("--eps", s.adam().eps());
        v.put("--grad-clip", s.gradClip());
        v.put("--loader", s.loader());
        v.put("--seed", s.seed());
        return v;
    }

    private static boolean same(Object was, Object given, String name, String tokenizerName) {
        if ((was instanceof Integer || was instanceof Long) && (given instanceof Integer || given instanceof Long)) {
            return ((Number) was).longValue() == ((Number) given).longValue();
        }
        if (was instanceof Number a && given instanceof Number b) return Double.compare(a.doubleValue(), b.doubleValue()) == 0;
        if (name.equals("--tokenizer") && tokenizerName.startsWith("learned bpe:")) {
            // a run saved before the choice was recorded: a learned BPE of n ≤ N tokens may come from bpe:N
            String g = String.valueOf(given);
            return g.startsWith("bpe:") && Integer.parseInt(g.substring(4)) >= Integer.parseInt(tokenizerName.substring(12));
        }
        return String.valueOf(was).equals(String.valueOf(given));
    }

    /**
     * The tokenizer choice of a run: as recorded in its checkpoint, or, for checkpoints written before
     * it was recorded, read off the saved tokenizer (char, gpt2 for GPT-2's 50,257-token BPE,
     * "learned bpe:n" for another BPE of n tokens, none).
     */
    static String tokenizerName(JsonNode extra, Optional<Tokenizer> saved) {
        String recorded = extra.path(TOKENIZER_KEY).asText("");
        if (!recorded.isEmpty()) return recorded;
        if (saved.isEmpty()) return NO_TOKENIZER;
        Tokenizer t = saved.get();
        if (t instanceof CharTokenizer) return "char";
        if (t.vocabSize() == TrainingDataFiles.GPT2_VOCAB) return "gpt2";
        return "learned bpe:" + t.vocabSize();
    }

    private static String lower(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }
}
