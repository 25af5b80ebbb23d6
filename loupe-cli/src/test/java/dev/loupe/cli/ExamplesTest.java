package dev.loupe.cli;

import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.tokens.CharTokenizer;
import dev.loupe.tokens.Tokenizers;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.abort;

/**
 * Every example of every {@code --help} page and every line of the README's command tour runs as
 * written, on tiny stand-ins for the models the README makes ({@code runs/quickstart/attn-only-2l}:
 * attention-only, 2 layers, the quickstart's alphabet; {@code runs/shakespeare}: 2 layers with an MLP,
 * Tiny Shakespeare's characters), in a temporary directory. An example is skipped, with its reason,
 * when it needs the network (a hub model or tokenizer), ../shared data that is absent, an input file
 * no README command makes, or minutes of training, a server or a terminal. A skipped slow example (see
 * {@link #SLOW}) is still parsed as written, so a misspelt option or a bad value type fails here; what
 * its command checks when it runs (e.g. the range of {@code --steps}) is not. They are not run with
 * fewer steps: at each command's smallest {@code --steps} they took, on 2 shared cores under load,
 * quickstart 13 s, reproduce bigram 8 s, skip-trigrams 12 s, induction 14 s, superposition 18 s,
 * grokking 18 s, train (README's, on Tiny Shakespeare, 2 steps) 21 s, in-context-regression over 88 s
 * and monosemanticity 355 s: minutes more for every CI run.
 */
class ExamplesTest {
    @TempDir
    static Path tmp;

    static final String QUICKSTART_ALPHABET = "+/0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    static final String SHAKESPEARE_CHARS = "\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /** Commands whose examples train for minutes, serve, wait for a terminal or time the machine. */
    static final Map<String, String> SLOW = Map.of(
            "quickstart", "trains two models for about a minute (QuickstartCommandTest runs it small)",
            "train", "trains for minutes (TrainCommandTest covers its options)",
            "reproduce", "trains a model (ReproduceCommandTest runs it small)",
            "serve", "starts a server that runs until stopped (ServeCommandTest)",
            "shell", "opens an interactive JShell (ShellCommandTest runs a session)",
            "bench", "times the machine for minutes (the bench tests run it small)",
            "fetch", "downloads from the network",
            "spark", "runs on Apache Spark, whose jars only the launcher adds (loupe-spark's tests run every job)");

    /** Slow commands whose examples cannot even be parsed here (Spark's commands need the launcher's class path). */
    static final Set<String> NOT_PARSED = Set.of("spark");

    /** Directories under runs/ that only a command skipped above makes, and that command. */
    static final Map<String, String> MADE_BY_SLOW = Map.of("runs/mono/", "loupe reproduce monosemanticity");

    /** Arguments naming something only the network gives. */
    static final Set<String> NETWORK = Set.of("gpt2", "distilgpt2", "openai-community/gpt2-medium", "gpt2-medium");

    @BeforeAll
    static void models() {
        write(tmp.resolve("runs/quickstart/attn-only-2l"), CharTokenizer.fromCorpus(QUICKSTART_ALPHABET), GptConfig.Mlp.NONE, 32, null);
        write(tmp.resolve("runs/shakespeare"), CharTokenizer.fromCorpus(SHAKESPEARE_CHARS), GptConfig.Mlp.GELU, 64, null);
        write(tmp.resolve("runs/moe"), CharTokenizer.fromCorpus(SHAKESPEARE_CHARS), GptConfig.Mlp.GELU, 64,
                dev.loupe.model.MoeSettings.of(4, 2, 16));                  // what 'loupe train --moe-experts' makes
        write(tmp.resolve("runs/hw"), CharTokenizer.fromCorpus(SHAKESPEARE_CHARS), GptConfig.Mlp.GELU, 64, null,
                dev.loupe.model.HighwaySettings.defaults());                  // 'loupe train … --out runs/hw --highway attn,mlp'
        for (String run : List.of("with-aux", "without-aux")) {   // stand-ins for the models 'loupe reproduce moe-specialisation' trains
            write(tmp.resolve("runs/reproduce-moe-specialisation").resolve(run), dev.loupe.experiments.moe.MixedSources.tokenizer(),
                    GptConfig.Mlp.GELU, 64, dev.loupe.model.MoeSettings.of(4, 2, 8));
        }
    }

    private static void write(Path dir, CharTokenizer tok, GptConfig.Mlp mlp, int context, dev.loupe.model.MoeSettings moe) {
        write(dir, tok, mlp, context, moe, null);
    }

    private static void write(Path dir, CharTokenizer tok, GptConfig.Mlp mlp, int context, dev.loupe.model.MoeSettings moe,
                              dev.loupe.model.HighwaySettings highway) {
        GptConfig c = new GptConfig(tok.vocabSize(), context, 16, 2, 2, 64, 1e-5f, true, GptConfig.Norm.PRE, mlp,
                GptConfig.Positional.LEARNED).withMoe(moe).withHighway(highway);
        ModelDirectory.write(dir, c, Gpt.create(c, 1).parameters());
        Tokenizers.save(tok, dir);
    }

    @TestFactory
    Stream<DynamicTest> everyHelpExample() {
        List<DynamicTest> tests = new ArrayList<>();
        collect(new CommandLine(new Main()), tests);
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> everyReadmeCommand() throws Exception {
        Path readme = Path.of("../README.md");
        if (!Files.exists(readme)) return Stream.empty();
        List<DynamicTest> tests = new ArrayList<>();
        String pending = null;
        for (String raw : Files.readAllLines(readme)) {
            String line = pending == null ? raw : pending + " " + raw.strip();
            pending = null;
            if (!line.startsWith("./loupe ")) continue;
            if (line.endsWith("\\")) { // a command continued on the next line
                pending = line.substring(0, line.length() - 1).strip();
                continue;
            }
            tests.add(example("README: " + line, line.substring(2)));
        }
        assertThat(tests).isNotEmpty();
        return tests.stream();
    }

    private static void collect(CommandLine cli, List<DynamicTest> into) {
        String[] footer = cli.getCommandSpec().usageMessage().footer();
        String pending = null;
        for (String raw : footer) {
            String line = raw.strip();
            if (pending != null) {
                line = pending + " " + line;
                pending = null;
            }
            if (!line.startsWith("loupe ")) continue;
            if (line.endsWith("\\")) {
                pending = line.substring(0, line.length() - 1).strip();
                continue;
            }
            into.add(example(cli.getCommandName() + " --help: " + line, line));
        }
        for (CommandLine sub : cli.getSubcommands().values()) if (!sub.getCommandName().equals("help")) collect(sub, into);
    }

    private static DynamicTest example(String name, String commandLine) {
        return DynamicTest.dynamicTest(name, () -> {
            for (String part : commandLine.split(" && ")) runOne(part);
        });
    }

    private static void runOne(String line) {
        List<String> words = words(line);
        assertThat(words.get(0)).isIn("loupe", "./loupe");
        List<String> args = new ArrayList<>(words.subList(1, words.size()));
        if (args.isEmpty()) abort("no command");
        String command = args.get(0);
        if (SLOW.containsKey(command) && NOT_PARSED.contains(command)) abort(SLOW.get(command));
        List<String> run = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            String option = i > 0 ? args.get(i - 1) : "";
            if (NETWORK.contains(a) && !option.equals("--preset")) abort("needs '" + a + "' from the network (loupe fetch)");
            if (a.startsWith("../shared/")) { // relative to the repository root, as the README runs it; tests run in the module
                Path shared = Path.of("..").resolve(a);
                if (!Files.exists(shared)) abort("needs " + a + " (../shared is absent)");
                run.add(shared.toString());
            } else if (a.startsWith("runs/")) {
                for (var made : MADE_BY_SLOW.entrySet()) {
                    if (a.startsWith(made.getKey())) abort("reads " + a + ", which '" + made.getValue() + "' makes (it trains for minutes)");
                }
                run.add(tmp.resolve(a).toString());
            } else if (Set.of("--out", "--html", "--plot", "--log-json").contains(option)
                    || (option.equals("--to") && command.equals("convert"))) {
                run.add(tmp.resolve("out").resolve(a).toString()); // written, never into the working tree
            } else if (Set.of("--file", "--data").contains(option) || (option.equals("--from") && command.equals("convert"))) {
                if (!Files.exists(Path.of(a))) abort("reads " + a + ", which no README command makes");
                run.add(a);
            } else {
                run.add(a);
            }
        }
        if (SLOW.containsKey(command)) {
            parses(run);
            abort(SLOW.get(command) + "; its options parse");
        }
        MainTest.Result r = MainTest.run(run.toArray(String[]::new));
        assertThat(r.code()).as("loupe %s%nstderr: %s", String.join(" ", run), r.err()).isZero();
    }

    /** Fails when picocli rejects {@code args} (an unknown option, a missing value, a value of the wrong type), without running the command. */
    private static void parses(List<String> args) {
        try {
            new CommandLine(new Main()).parseArgs(args.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            throw new AssertionError("loupe " + String.join(" ", args) + " does not parse: " + e.getMessage(), e);
        }
    }

    /** Shell words: quotes (' and "), a backslash escape inside "…", and the end at '#', '|' or '>' outside quotes. */
    static List<String> words(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder w = null;
        char quote = 0;
        for (int i = 0; i < line.length(); i++) {
            char ch = line.charAt(i);
            if (quote != 0) {
                if (ch == quote) quote = 0;
                else if (quote == '"' && ch == '\\' && i + 1 < line.length()) w.append(line.charAt(++i));
                else w.append(ch);
            } else if (ch == '\'' || ch == '"') {
                if (w == null) w = new StringBuilder();
                quote = ch;
            } else if (Character.isWhitespace(ch)) {
                if (w != null) out.add(w.toString());
                w = null;
            } else if ((ch == '#' && w == null) || ch == '|' || ch == '>') {
                break;
            } else {
                if (w == null) w = new StringBuilder();
                w.append(ch);
            }
        }
        if (w != null) out.add(w.toString());
        return out;
    }
}
