package dev.loupe.cli.hub;

import dev.loupe.hub.DownloadListener;
import dev.loupe.hub.FetchResult;
import dev.loupe.hub.HubCache;
import dev.loupe.hub.HubDownloader;
import dev.loupe.hub.HubName;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/** {@code loupe fetch}: download a model from the Hugging Face hub into the local cache. */
@Command(name = "fetch", mixinStandardHelpOptions = true,
        description = {
                "Downloads a GPT-2-style model from the Hugging Face hub into Loupe's cache, so that --model NAME works offline.",
                "",
                "Fetches config.json and model.safetensors, and vocab.json + merges.txt when the repository has them, from",
                "{endpoint}/{name}/resolve/main/{file}. Interrupted downloads resume where they stopped (run the command",
                "again); each file is checked against the size and SHA-256 the hub publishes and moved into place only",
                "when complete. A model already in the Hugging Face cache (~/.cache/huggingface/hub) is used from there.",
                "",
                "Cache: $LOUPE_CACHE/hub/{owner--name} (default ~/.cache/loupe/hub/...). Endpoint: --endpoint, else $HF_ENDPOINT,",
                "else https://huggingface.co."},
        footer = {"", "Examples:",
                "  loupe fetch gpt2",
                "  loupe fetch distilgpt2 && loupe tokenize --model distilgpt2 --text 'Hello'",
                "  loupe fetch openai-community/gpt2-medium --endpoint https://hf-mirror.com"})
public final class FetchCommand implements Callable<Integer> {
    @Parameters(paramLabel = "NAME", description = "Hub model name: gpt2, gpt2-medium, distilgpt2 or OWNER/NAME.")
    String name;

    @Option(names = "--endpoint", paramLabel = "URL", description = "Hub base URL (default: $HF_ENDPOINT or https://huggingface.co).")
    String endpoint;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        HubName hubName = HubName.parse(name);
        PrintWriter out = spec.commandLine().getOut();
        String base = endpoint != null ? endpoint : HubDownloader.endpointFromEnvironment();
        DownloadListener listener = System.console() != null ? new BarListener() : new LineListener(out);
        FetchResult r = new HubDownloader(base, HubCache.fromEnvironment(), listener).fetch(hubName);
        if (r.reusedHuggingFaceCache()) out.println("found " + hubName + " in the Hugging Face cache: " + r.dir());
        else if (r.downloaded().isEmpty()) out.println(hubName + " is already in the cache: " + r.dir());
        else out.println("fetched " + hubName + " (" + String.join(", ", r.downloaded()) + ") into " + r.dir());
        if (!r.notOnHub().isEmpty()) {
            out.println("note: the repository has no " + String.join(", ", r.notOnHub()) + "; commands that need text will want --tokenizer");
        }
        out.flush();
        return 0;
    }

    /** A progress bar per file on a terminal. */
    private static final class BarListener implements DownloadListener {
        private ProgressBar bar;

        @Override
        public void started(String file, long have, long total) {
            bar = new ProgressBarBuilder().setTaskName(file).setInitialMax(Math.max(total, 0)).setUnit(" MB", 1_000_000)
                    .setStyle(ProgressBarStyle.ASCII).showSpeed().build();
            bar.stepTo(have);
        }

        @Override
        public void progressed(String file, long bytes) {
            if (bar != null) bar.stepTo(bytes);
        }

        @Override
        public void finished(String file) {
            if (bar != null) bar.close();
            bar = null;
        }
    }

    /** Plain lines (every 10 %) when the output is not a terminal. */
    private static final class LineListener implements DownloadListener {
        private final PrintWriter out;
        private long total;
        private int lastDecile;

        LineListener(PrintWriter out) {
            this.out = out;
        }

        @Override
        public void started(String file, long have, long total) {
            this.total = total;
            this.lastDecile = total > 0 ? (int) (10 * have / total) : 0;
            out.println(file + ": " + (have > 0 ? "resuming at " + mb(have) + " of " : "downloading ") + (total >= 0 ? mb(total) : "? MB"));
            out.flush();
        }

        @Override
        public void progressed(String file, long bytes) {
            if (total <= 0) return;
            int decile = (int) (10 * bytes / total);
            if (decile > lastDecile && decile < 10) {
                lastDecile = decile;
                out.println(file + ": " + decile * 10 + "% (" + mb(bytes) + " of " + mb(total) + ")");
                out.flush();
            }
        }

        @Override
        public void finished(String file) {
            out.println(file + ": done");
            out.flush();
        }

        private static String mb(long b) {
            return String.format("%.1f MB", b / 1e6);
        }
    }
}
