package dev.loupe.cli.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.cli.UsageException;
import dev.loupe.cli.bench.TorchPeer;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.KvCache;
import dev.loupe.model.Sampler;
import dev.loupe.tensor.Parallel;
import dev.loupe.tensor.matmul.Matmul;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * {@code loupe bench generate}: KV-cache decoding speed (PERFORMANCE.md P4), batch 1, of a model with
 * GPT-2 small's shape and random weights, next to PyTorch decoding the same shape in the same run.
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = {"Measure KV-cache decoding (tokens/s, batch 1, float32) of a model with GPT-2 small's shape "
                + "(12 layers, d_model 768, 12 heads, vocabulary 50257) and random weights: the prompt fills the "
                + "cache, a few steps warm up the JIT, then each greedy one-token step is timed. PyTorch decodes the "
                + "same shape with its own KV cache in the same run when /usr/bin/python3 has torch; compare the ratio.",
                ""},
        footer = {"%nExamples:",
                "  loupe bench generate",
                "  loupe bench generate --layers 4 --d-model 256 --heads 4 --tokens 64 --no-peer"})
public final class GenerateBenchCommand implements Runnable {
    @Option(names = "--layers", defaultValue = "12", description = "Blocks (default: ${DEFAULT-VALUE}).")
    int layers;
    @Option(names = "--d-model", defaultValue = "768", description = "Residual width (default: ${DEFAULT-VALUE}).")
    int dModel;
    @Option(names = "--heads", defaultValue = "12", description = "Attention heads (default: ${DEFAULT-VALUE}).")
    int heads;
    @Option(names = "--vocab", defaultValue = "50257", description = "Vocabulary size (default: ${DEFAULT-VALUE}).")
    int vocab;
    @Option(names = "--prompt", defaultValue = "16", description = "Prompt tokens fed before timing (default: ${DEFAULT-VALUE}).")
    int prompt;
    @Option(names = "--tokens", defaultValue = "32", description = "Timed decoding steps (default: ${DEFAULT-VALUE}).")
    int tokens;
    @Option(names = "--warmup", defaultValue = "4", description = "Untimed steps before timing (default: ${DEFAULT-VALUE}).")
    int warmup;
    @Option(names = "--no-peer", description = "Skip the PyTorch peer.")
    boolean noPeer;

    @Override
    public void run() {
        if (layers < 1 || dModel < 1 || heads < 1 || dModel % heads != 0 || vocab < 1 || prompt < 1 || tokens < 1 || warmup < 0) {
            throw new UsageException("sizes must be positive and --d-model a multiple of --heads");
        }
        int ctx = prompt + warmup + tokens;
        GptConfig c = GptConfig.gpt2(vocab, Math.max(1024, ctx), dModel, layers, heads);
        System.err.printf(Locale.ROOT, "bench: creating a %d-layer d_model %d model with random weights…%n", layers, dModel);
        Gpt m = Gpt.create(c, 1);
        KvCache cache = m.newCache(ctx);
        Sampler greedy = Sampler.greedy();
        int[] promptIds = new int[prompt];
        Arrays.fill(promptIds, 464 % vocab);
        System.err.println("bench: prompt and warm-up…");
        int tok = greedy.sample(m.decode(promptIds, cache).select(0, prompt - 1));
        for (int i = 0; i < warmup; i++) tok = greedy.sample(m.decodeStep(tok, cache));
        System.err.printf(Locale.ROOT, "bench: timing %d steps…%n", tokens);
        double[] ms = new double[tokens];
        for (int i = 0; i < tokens; i++) {
            long t0 = System.nanoTime();
            tok = greedy.sample(m.decodeStep(tok, cache));
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        double total = Arrays.stream(ms).sum();
        double loupe = tokens / (total / 1000);
        double[] sorted = ms.clone();
        Arrays.sort(sorted);
        System.out.printf(Locale.ROOT, "KV-cache decoding, batch 1, %d layers × d_model %d, vocab %d, %d threads, matmul %s%n",
                layers, dModel, vocab, Parallel.threads(), Matmul.backend().name());
        System.out.printf(Locale.ROOT, "  loupe: %6.1f tokens/s (median step %.1f ms)%n", loupe, sorted[tokens / 2]);
        if (noPeer) return;
        String peer;
        try {
            System.err.println("bench: PyTorch peer…");
            peer = TorchPeer.runScript("/bench/torch_generate.py", Parallel.threads(), List.of(
                    "--layers", "" + layers, "--d", "" + dModel, "--heads", "" + heads, "--vocab", "" + vocab,
                    "--ctx", "" + Math.max(1024, ctx), "--prompt", "" + prompt, "--warmup", "" + warmup, "--tokens", "" + tokens));
        } catch (TorchPeer.Absent e) {
            System.out.println("No peer: " + e.getMessage() + "; Loupe's figure alone.");
            return;
        }
        try {
            JsonNode j = new ObjectMapper().readTree(peer);
            double t = j.get("tokens_per_s").asDouble();
            System.out.printf(Locale.ROOT, "  torch: %6.1f tokens/s (median step %.1f ms; torch %s, %d threads)%n",
                    t, j.get("median_step_ms").asDouble(), j.get("version").asText(), j.get("threads").asInt());
            System.out.printf(Locale.ROOT, "  loupe/torch: %.2f%n", loupe / t);
        } catch (IOException e) {
            System.out.println("No peer: unreadable output from the torch peer; Loupe's figure alone.");
        }
    }
}
