package dev.loupe.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Issue 20, item 3: an llm.c checkpoint given as --model or --init names the conversion. */
class LlmcCheckpointFileTest {

    @Test
    void anLlmcCheckpointAsModelOrInitSaysHowToConvertIt(@TempDir Path dir) throws Exception {
        byte[] header = ByteBuffer.allocate(1024).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 20240326).putInt(4, 3).array();
        Path bin = Files.write(dir.resolve("gpt2_124M.bin"), header);
        String expected = "loupe: '" + bin + "' is an llm.c checkpoint, not a model directory: convert it once with "
                + "'loupe convert --from " + bin + " --to DIR', then pass DIR as the model";

        MainTest.Result eval = MainTest.run("eval", "--model", bin.toString(), "--data", bin.toString());
        assertThat(eval.code()).isEqualTo(1);
        assertThat(eval.err().strip()).isEqualTo(expected);

        Path text = Files.writeString(dir.resolve("t.txt"), "abc abc abc");
        MainTest.Result train = MainTest.run("train", "--init", bin.toString(), "--data", text.toString(),
                "--out", dir.resolve("o").toString());
        assertThat(train.code()).isEqualTo(1);
        assertThat(train.err().strip()).isEqualTo(expected);

        // any other file keeps the usual message
        MainTest.Result other = MainTest.run("eval", "--model", text.toString(), "--data", text.toString());
        assertThat(other.err()).contains("is a file, not a model directory");
    }
}
