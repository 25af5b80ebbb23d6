package dev.loupe.cli.shell;

import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.tokens.CharTokenizer;
import dev.loupe.tokens.Tokenizers;
import jdk.jshell.tool.JavaShellToolBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;

/** A JShell session started with loupe shell's arguments loads a model and computes its loss with no import typed. */
class ShellCommandTest {
    @TempDir
    Path tmp;

    @Test
    void aSessionHasTheLibraryAndItsImports() throws Exception {
        CharTokenizer tok = CharTokenizer.fromCorpus("abcdefgh");
        GptConfig c = new GptConfig(tok.vocabSize(), 16, 16, 1, 2, 16, 1e-5f, true, GptConfig.Norm.PRE,
                GptConfig.Mlp.GELU, GptConfig.Positional.LEARNED);
        Gpt gpt = Gpt.create(c, 1);
        Path dir = tmp.resolve("m");
        ModelDirectory.write(dir, c, gpt.parameters());
        Tokenizers.save(tok, dir);
        String script = "var m = Gpt.load(\"" + dir.toString().replace("\\", "\\\\") + "\");\n"
                + "System.out.printf(Locale.ROOT, \"LOSS %.6f%n\", m.loss(\"abcab\"));\n/exit\n";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
        int code = JavaShellToolBuilder.builder()
                .in(new ByteArrayInputStream(script.getBytes(StandardCharsets.UTF_8)), null)
                .out(ps, ps, ps).err(ps, ps)
                .start(ShellCommand.arguments(null).toArray(String[]::new));
        String text = out.toString(StandardCharsets.UTF_8);
        assertThat(code).as(text).isZero();
        assertThat(text).contains(String.format(Locale.ROOT, "LOSS %.6f", gpt.loss(tok.encode("abcab"))));
    }
}
