package dev.loupe.cli.serve;

import dev.loupe.cli.ModelRef;
import dev.loupe.cli.UsageException;
import dev.loupe.web.ExplorerModel;
import dev.loupe.web.ExplorerServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code loupe serve}: the web explorer on a local port. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {
                "Serve the web explorer: a local page to look inside a model, in any browser, offline.",
                "",
                "Type a prompt and see its tokens, every head's attention pattern (thumbnails that expand; hover for",
                "query, key and weight; click a token to see what it attends to and what attends to it), the top",
                "next-token predictions, the logit lens, the direct logit attribution of an answer to each head and MLP,",
                "and the heads' copying and composition scores. Listens on 127.0.0.1 only unless --host says otherwise.",
                ""},
        footer = {"%nExamples:",
                "  loupe serve --model gpt2",
                "  loupe serve --model runs/shakespeare --port 8080",
                "%nPrompts longer than --max-tokens (default: the model's context) keep their last tokens, with a notice.",
                "Stop with Ctrl-C. Exit codes: 0 stopped, 1 failure (bad model, port taken), 2 bad usage."})
public final class ServeCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR|NAME", converter = ModelRef.Converter.class,
            description = "Model directory with a tokenizer, or a hub name fetched with 'loupe fetch'.")
    ModelRef model;
    @picocli.CommandLine.Mixin
    dev.loupe.cli.lora.AdapterOption adapter;

    @Option(names = "--port", paramLabel = "N", defaultValue = "8080", description = "Port (default: ${DEFAULT-VALUE}; 0 = any free port).")
    int port;

    @Option(names = "--host", paramLabel = "ADDR", defaultValue = "127.0.0.1",
            description = "Address to bind (default: ${DEFAULT-VALUE}, this machine only).")
    String host;

    @Option(names = "--max-tokens", paramLabel = "N", description = "Longest prompt analysed, in tokens (default: the model's context).")
    Integer maxTokens;

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65535) throw new UsageException("--port must be in [0, 65535], got " + port);
        if (maxTokens != null && maxTokens < 1) throw new UsageException("--max-tokens must be at least 1, got " + maxTokens);
        System.out.println("loading " + model + " …");
        ExplorerModel m = adapter.openExplorer(model.dir());
        int limit = maxTokens == null ? m.config().nPositions() : maxTokens;
        ExplorerServer server = ExplorerServer.start(m, host, port, limit);
        System.out.println("Loupe explorer for " + m.name() + " at " + server.url() + "  (Ctrl-C to stop)");
        Runtime.getRuntime().addShutdownHook(new Thread(server::close));
        new CountDownLatch(1).await();
        return 0;
    }
}
