package dev.loupe.cli.interventions;

import dev.loupe.cli.UsageException;
import dev.loupe.cli.model.ModelText;
import dev.loupe.model.ActivationCache;
import dev.loupe.model.HookPoint;
import dev.loupe.model.HookPoints;
import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.io.Npz;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;

/** {@code loupe cache}: activations at chosen hook points into a numpy {@code .npz}. */
@Command(name = "cache", mixinStandardHelpOptions = true,
        description = {
                "Run the model on a text and save the activations at the chosen hook points to a numpy .npz archive, one "
                        + "float32 array per hook, keyed by its TransformerLens name, so a notebook picks up where Loupe "
                        + "leaves off: np.load(\"cache.npz\")[\"blocks.0.attn.hook_pattern\"].",
                "--hooks takes names or glob patterns ('*' matches any characters), comma separated; 'loupe hooks --model DIR' "
                        + "lists the names and shapes. Arrays keep the batch dimension (1).",
                ""},
        footer = {"%nExamples:",
                "  loupe cache --model runs/quickstart/attn-only-2l --text abcdefabcdef --hooks 'blocks.*.attn.hook_pattern' --out cache.npz",
                "  loupe cache --model runs/shakespeare --text \"To be\" --hooks 'blocks.*.hook_resid_post,ln_final.hook_normalized' --out acts.npz",
                "%nExit codes: 0 ok, 1 failure (bad model), 2 bad usage (a pattern that matches no hook)."})
public final class CacheCommand implements Callable<Integer> {
    @Mixin
    ModelText input;
    @Mixin
    dev.loupe.cli.model.WeightsOption weights;

    @Option(names = "--hooks", required = true, split = ",", paramLabel = "PATTERN",
            description = "Hook names or glob patterns, e.g. 'blocks.*.attn.hook_pattern,hook_embed'.")
    List<String> hooks;

    @Option(names = "--out", required = true, paramLabel = "FILE.npz", description = "The archive to write (numpy's .npz).")
    Path out;

    @Override
    public Integer call() {
        if (!out.getFileName().toString().endsWith(".npz")) throw new UsageException("--out must name an .npz file, got " + out);
        ModelText.Opened opened = input.open(weights.format());
        var gpt = opened.model().model();
        int[] ids = opened.input().ids();
        List<String> all = HookPoints.table(gpt.config(), 1, ids.length).stream().map(HookPoint::name).toList();
        List<String> chosen = new ArrayList<>();
        for (String pattern : hooks) {
            Pattern p = glob(pattern.strip());
            List<String> match = all.stream().filter(n -> p.matcher(n).matches()).toList();
            if (match.isEmpty()) {
                throw new UsageException("--hooks '" + pattern + "' matches no hook point (names look like blocks.0.attn.hook_pattern; "
                        + "'loupe hooks --model DIR' lists them)");
            }
            for (String n : match) if (!chosen.contains(n)) chosen.add(n);
        }
        Set<String> wanted = Set.copyOf(chosen);
        ActivationCache cache = gpt.runWithCache(ids, 1, ids.length, wanted::contains).cache();
        Map<String, Tensor> arrays = new LinkedHashMap<>();
        for (String n : all) if (wanted.contains(n)) arrays.put(n, cache.get(n));
        Npz.write(out, arrays);
        System.out.println("text     " + opened.input().describe(opened.model()));
        for (var e : arrays.entrySet()) System.out.println("  " + e.getKey() + " " + java.util.Arrays.toString(e.getValue().shape()));
        System.out.printf("wrote %s (%d arrays, %.1f KB)%n", out, arrays.size(), cache.bytes() / 1024.0);
        return 0;
    }

    /** A glob ('*' = any characters, '?' = one) as an anchored regular expression. */
    static Pattern glob(String g) {
        StringBuilder r = new StringBuilder();
        for (char ch : g.toCharArray()) {
            switch (ch) {
                case '*' -> r.append(".*");
                case '?' -> r.append('.');
                default -> r.append(Pattern.quote(String.valueOf(ch)));
            }
        }
        return Pattern.compile(r.toString());
    }
}
