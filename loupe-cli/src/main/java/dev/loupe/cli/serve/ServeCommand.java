package dev.loupe.cli.serve;

import dev.loupe.cli.model.NonFiniteOption;
import dev.loupe.cli.ModelRef;
import dev.loupe.cli.UsageException;
import dev.loupe.web.ExplorerModel;
import dev.loupe.web.ExplorerServer;
import dev.loupe.cli.sae.SaeSpliceOption;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code loupe serve}: the web explorer on a local port. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {
                "Serve the web explorer: a local page to look inside a model, in any browser, offline.",
                "",
                "Type a prompt and see its tokens, every head's attention pattern (thumbnails that expand; hover for",
                "query, key and weight), attention by token as in CircuitsVis (hover a token, or click to pin it, and",
                "the others take its attention weights to them or from them, for the heads ticked in the thumbnail",
                "grid, each in its colour), the top next-token predictions, the logit lens, the direct logit",
                "attribution of an answer to each head and MLP, and the heads' copying and composition scores (for a",
                "highway-gated model: the gate heatmap per sublayer and token instead, as weight-only circuits do not",
                "apply). The page opens on a sample of the training text when the model directory has one",
                "(sample_prompt.txt, written by train and quickstart). Listens on 127.0.0.1 only unless --host says otherwise.",
                "",
                "Safety: only requests whose Host is this machine (localhost, a loopback address; with --host also IP",
                "addresses and names given with --allow-host) and that come from the explorer's own page are answered",
                "(DNS rebinding and cross-site requests get 403). A request not sent completely within 30 s is closed.",
                "Analysis runs are kept within a quarter of the heap; a dropped run is computed again when asked for.",
                "There is no authentication: --host 0.0.0.0 lets anyone who reaches this machine use the explorer",
                "(a warning and the real addresses are printed). A request line the JDK's HTTP parser rejects gets the",
                "JDK's own fixed 400 page, which Loupe cannot replace. Details: docs/robustness.md.",
                "With --sae, every analysis runs with the sparse autoencoder spliced in, and a Features view shows which",
                "of its features fire on each token (the 5 strongest), each feature's logit effects and, with",
                "--sae-dashboard, its page of the feature browser written by 'loupe sae features'.",
                ""},
        footer = {"%nExamples:",
                "  loupe serve --model gpt2",
                "  loupe serve --model runs/shakespeare --port 8080",
                "  loupe serve --model gpt2 --weights bf16         # half the memory; every view describes the bf16 model",
                "  loupe reproduce monosemanticity --out runs/mono",
                "  loupe serve --model runs/mono/model --sae runs/mono/sae --sae-error --sae-dashboard runs/mono",
                "%nPrompts longer than --max-tokens (default: the model's context) keep their last tokens, with a notice.",
                "Stop with Ctrl-C. Exit codes: 0 stopped, 1 failure (bad model, port taken), 2 bad usage."})
public final class ServeCommand implements Callable<Integer> {
    @Mixin
    NonFiniteOption nonFinite;

    @Option(names = "--model", required = true, paramLabel = "DIR|NAME", converter = ModelRef.Converter.class,
            description = "Model directory with a tokenizer, or a hub name fetched with 'loupe fetch'.")
    ModelRef model;
    @picocli.CommandLine.Mixin
    dev.loupe.cli.lora.AdapterOption adapter;
    @Mixin
    dev.loupe.cli.model.AnalysisWeightsOption weights;

    @Option(names = "--port", paramLabel = "N", defaultValue = "8080", description = "Port (default: ${DEFAULT-VALUE}; 0 = any free port).")
    int port;

    @Option(names = "--host", paramLabel = "ADDR", defaultValue = "127.0.0.1",
            description = "Address to bind (default: ${DEFAULT-VALUE}, this machine only).")
    String host;

    @Option(names = "--allow-host", paramLabel = "NAME",
            description = "Also answer requests addressed to this host name (e.g. the machine's name on the network with --host 0.0.0.0); repeatable.")
    List<String> allowHosts = new ArrayList<>();

    @Option(names = "--max-tokens", paramLabel = "N", description = "Longest prompt analysed, in tokens (default: the model's context).")
    Integer maxTokens;

    @Mixin
    SaeSpliceOption sae;

    @Option(names = "--sae-dashboard", paramLabel = "DIR",
            description = "With --sae: the output directory of 'loupe sae features' for this SAE (features.html, features.json).")
    Path saeDashboard;

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65535) throw new UsageException("--port must be in [0, 65535], got " + port);
        if (maxTokens != null && maxTokens < 1) throw new UsageException("--max-tokens must be at least 1, got " + maxTokens);
        System.out.println("loading " + model + " …");
        ExplorerModel m = adapter.openExplorer(model.dir(), nonFinite.allowed(), weights.format());
        int limit = maxTokens == null ? m.config().nPositions() : maxTokens;
        var splice = sae.attach(m.gpt());
        if (saeDashboard != null && splice == null) throw new UsageException("--sae-dashboard needs --sae DIR");
        ExplorerServer server = ExplorerServer.start(m, host, port, limit, Set.copyOf(allowHosts), splice, saeDashboard);
        for (String line : exposureWarning(server)) System.err.println(line);
        System.out.println("Loupe explorer for " + m.name() + " at " + server.url() + "  (Ctrl-C to stop)");
        for (URI u : server.networkUrls()) System.out.println("  from other machines: " + u);
        Runtime.getRuntime().addShutdownHook(new Thread(server::close));
        new CountDownLatch(1).await();
        return 0;
    }

    /** The loud warning printed when the server is reachable beyond this machine; empty on loopback. */
    static List<String> exposureWarning(ExplorerServer server) {
        if (!server.exposed()) return List.of();
        String bar = "!".repeat(78);
        return List.of(bar,
                "WARNING: the explorer listens beyond this machine (" + server.address() + "), without any authentication:",
                "anyone who can reach port " + server.port() + " can run prompts through the model and read the results.",
                "Use it on a trusted network only; the default --host 127.0.0.1 keeps it on this machine.",
                bar);
    }
}
