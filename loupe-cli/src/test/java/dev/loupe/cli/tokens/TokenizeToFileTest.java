package dev.loupe.cli.tokens;

import dev.loupe.cli.MainTest;
import dev.loupe.tokens.CharTokenizer;
import dev.loupe.tokens.TokenFile;
import dev.loupe.tokens.Tokenizers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.IntStream;

import static dev.loupe.cli.MainTest.run;
import static org.assertj.core.api.Assertions.assertThat;

/** Issue 20, item 3: {@code tokenize --out FILE.bin} writes llm.c's token file and refuses ids it cannot hold. */
class TokenizeToFileTest {

    @Test
    void writesAnLlmcTokenFileThatReadsBack(@TempDir Path dir) throws Exception {
        Path text = Files.writeString(dir.resolve("in.txt"), "Hello world");
        Path bin = dir.resolve("hello.bin");
        MainTest.Result r = run("tokenize", "--tokenizer", "gpt2", "--file", text.toString(), "--out", bin.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).contains("wrote 2 tokens to " + bin);
        // llm.c's write_datafile("gpt-2"): 256 int32 (20240520, 1, count, zeros), then uint16 ids
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(bin)).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(b.capacity()).isEqualTo(1024 + 2 * 2);
        assertThat(b.getInt(0)).isEqualTo(20240520);
        assertThat(b.getInt(4)).isEqualTo(1);
        assertThat(b.getInt(8)).isEqualTo(2);
        assertThat(Short.toUnsignedInt(b.getShort(1024))).isEqualTo(15496);
        assertThat(Short.toUnsignedInt(b.getShort(1026))).isEqualTo(995);
        assertThat(TokenFile.readAll(bin)).containsExactly(15496, 995);
    }

    @Test
    void idsBeyondUint16AreRefusedAndNothingIsWritten(@TempDir Path dir) throws Exception {
        // a character vocabulary of 70,000 code points (all outside the surrogate range)
        String corpus = IntStream.range(0x20000, 0x20000 + 70_000).collect(StringBuilder::new,
                StringBuilder::appendCodePoint, StringBuilder::append).toString();
        Path tokenizer = Files.createDirectories(dir.resolve("wide"));
        Tokenizers.save(CharTokenizer.fromCorpus(corpus), tokenizer);
        Path bin = dir.resolve("wide.bin");
        MainTest.Result r = run("tokenize", "--tokenizer", tokenizer.toString(), "--text", corpus.substring(corpus.length() - 4),
                "--out", bin.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err().strip()).isEqualTo("loupe: token 0 is id 69998, which does not fit llm.c's token files: they hold "
                + "uint16 ids, below 65,536 (this tokenizer has 70000 tokens); nothing was written");
        assertThat(bin).doesNotExist();
    }

    @Test
    void outMustBeABinFileAndExcludesPrinting(@TempDir Path dir) {
        assertThat(run("tokenize", "--tokenizer", "gpt2", "--text", "a", "--out", dir.resolve("a.txt").toString()).code()).isEqualTo(2);
        assertThat(run("tokenize", "--tokenizer", "gpt2", "--text", "a", "--out", dir.resolve("a.bin").toString(), "--json").code())
                .isEqualTo(2);
    }
}
