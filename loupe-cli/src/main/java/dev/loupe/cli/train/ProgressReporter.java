package dev.loupe.cli.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.LoupeException;
import dev.loupe.train.Evaluator;
import dev.loupe.train.Trainer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Locale;

/**
 * Shows training progress on stderr: a progress bar (step, loss, tokens/s, ETA) on a terminal,
 * plain lines otherwise (about 20 per run, plus every evaluation); and, with {@code --log-json},
 * one JSON object per line per step ({@code {"step","loss","lr","tokens_per_s"}}), per
 * evaluation during the run ({@code {"step","val_loss","val_tokens"}}: a sample of the validation
 * set, {@code val_tokens} predicted tokens) and for the evaluation of the whole validation set at
 * the end ({@code {"step","final_val_loss","val_tokens"}}). For a mixture-of-experts model the
 * loss stays the LM loss; the router terms come beside it as separate numbers: {@code aux} (the
 * load-balancing loss) and {@code z} (the router z-loss), both already weighted by their
 * coefficients and summed over the MoE layers, and {@code dropped} (slots over capacity) of
 * {@code slots} — on the progress line as {@code aux 0.0102  z 0.0031  dropped 1.2%}.
 */
public final class ProgressReporter implements Trainer.Listener, AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final PrintStream err;
    private ProgressBar bar;        // null without a terminal, and after the run (closed before the final line)
    private final BufferedWriter log;
    private final long startStep, steps;
    private final long plainEvery;
    private long afterFirstStep;   // System.nanoTime() when the first step ended: the ETA leaves that step (JIT) out
    private double tokensPerSecond; // smoothed
    private long validationTokens;  // in the whole validation set, to label samples; 0 = unknown

    public ProgressReporter(PrintStream err, long startStep, long steps, Path logJson, boolean append) {
        this.err = err;
        this.startStep = startStep;
        this.steps = steps;
        this.plainEvery = Math.max(1, (steps - startStep) / 20);
        boolean tty = System.console() != null && System.console().isTerminal();
        this.bar = tty ? new ProgressBarBuilder().setTaskName("train").setInitialMax(steps)
                .setStyle(ProgressBarStyle.ASCII).setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(err))
                .setUpdateIntervalMillis(250).startsFrom(startStep, Duration.ZERO).build() : null;
        try {
            this.log = logJson == null ? null : Files.newBufferedWriter(logJson, StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) {
            throw new LoupeException("cannot write the --log-json file " + logJson + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void onStep(Trainer.StepReport r) {
        if (r.step() == startStep + 1) afterFirstStep = System.nanoTime();
        // smoothed from the second step on: the first one includes JIT compilation
        if (r.step() > startStep + 1) tokensPerSecond = tokensPerSecond == 0 ? r.tokensPerSecond() : 0.9 * tokensPerSecond + 0.1 * r.tokensPerSecond();
        // a run of one step has only the first step's speed (JIT included): show it rather than 0
        double speed = tokensPerSecond > 0 ? tokensPerSecond : r.tokensPerSecond();
        ObjectNode line = JSON.createObjectNode().put("step", r.step()).put("loss", r.loss()).put("lr", r.lr())
                .put("tokens_per_s", Math.round(r.tokensPerSecond() * 10) / 10.0);
        String msg = String.format(Locale.ROOT, "loss %.4f  lr %.2e  %,.0f tok/s", r.loss(), r.lr(), speed);
        if (r.router().present()) {
            line.put("aux", r.router().aux()).put("z", r.router().z()).put("dropped", r.router().dropped()).put("slots", r.router().slots());
            msg += String.format(Locale.ROOT, "  aux %.4f  z %.4f", r.router().aux(), r.router().z());
            if (r.router().dropped() > 0) msg += String.format(Locale.ROOT, "  dropped %.1f%%", 100.0 * r.router().dropped() / r.router().slots());
        }
        writeLog(line);
        if (bar != null) {
            bar.stepTo(r.step());
            bar.setExtraMessage(msg);
        } else if (r.step() == startStep + 1 && r.step() != steps) {
            // the first step pays for JIT compilation: its speed would predict an ETA many times too long
            err.printf(Locale.ROOT, "step %d/%d  loss %.4f  lr %.2e  (first step: measuring speed)%n", r.step(), steps, r.loss(), r.lr());
        } else if ((r.step() - startStep) % plainEvery == 0 || r.step() == steps) {
            long done = r.step() - startStep - 1;
            double eta = done == 0 ? 0 : (System.nanoTime() - afterFirstStep) / 1e9 / done * (steps - r.step());
            err.printf(Locale.ROOT, "step %d/%d  %s  ETA %s%n", r.step(), steps, msg, duration(eta));
        }
    }

    /** The predicted tokens of the whole validation set, so that evaluations on fewer are labelled as samples. */
    public void validationTokens(long total) {
        this.validationTokens = total;
    }

    @Override
    public void onEval(long step, Evaluator.Result result) {
        writeLog(JSON.createObjectNode().put("step", step).put("val_loss", result.loss()).put("val_tokens", result.tokens()));
        String msg = String.format(Locale.ROOT, "step %d: validation loss %.4f (perplexity %.2f) %s", step, result.loss(),
                result.perplexity(), counted(result.tokens()));
        if (bar != null) bar.setExtraMessage(msg);
        else err.println(msg);
    }

    /** Before the evaluation of the whole validation set: closes the bar (the run is over) and says what comes. */
    public void finalEvalStarts() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
        err.printf(Locale.ROOT, "evaluating the whole validation set (%,d tokens)…%n", validationTokens);
    }

    /** The evaluation of the whole validation set after the last step: printed and logged under its own name. */
    public void onFinalEval(long step, Evaluator.Result result) {
        writeLog(JSON.createObjectNode().put("step", step).put("final_val_loss", result.loss()).put("val_tokens", result.tokens()));
        err.printf(Locale.ROOT, "step %d: validation loss %.4f (perplexity %.2f) on the whole validation set, %,d tokens%n",
                step, result.loss(), result.perplexity(), result.tokens());
    }

    /** "on a sample of 10,240 of 430,000 validation tokens", or "on all 430,000 validation tokens". */
    private String counted(long tokens) {
        if (validationTokens <= 0) return String.format(Locale.ROOT, "on %,d validation tokens", tokens);
        return tokens >= validationTokens ? String.format(Locale.ROOT, "on all %,d validation tokens", tokens)
                : String.format(Locale.ROOT, "on a sample of %,d of %,d validation tokens", tokens, validationTokens);
    }

    private void writeLog(ObjectNode line) {
        if (log == null) return;
        try {
            log.write(line.toString());
            log.newLine();
            log.flush();
        } catch (IOException e) {
            throw new LoupeException("cannot write the --log-json file: " + e.getMessage(), e);
        }
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, s / 60 % 60)
                : s >= 60 ? String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60) : s + "s";
    }

    @Override
    public void close() {
        if (bar != null) bar.close();
        if (log != null) {
            try {
                log.close();
            } catch (IOException e) {
                // already flushed line by line
            }
        }
    }
}
