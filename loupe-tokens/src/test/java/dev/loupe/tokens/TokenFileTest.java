package dev.loupe.tokens;

import dev.loupe.LoupeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TokenFileTest {
    private static final int[] TOKENS = {0, 1, 50256, 65535, 42, 256, 7};

    @Test
    void llmcFormatHasTheDocumentedHeaderAndReadsBack(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("train.bin");
        TokenFile.write(f, TOKENS, TokenFile.Format.LLMC);
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(b.capacity()).isEqualTo(1024 + 2 * TOKENS.length);
        assertThat(b.getInt(0)).isEqualTo(20240520);
        assertThat(b.getInt(4)).isEqualTo(1);
        assertThat(b.getInt(8)).isEqualTo(TOKENS.length);
        for (int i = 3; i < 256; i++) assertThat(b.getInt(4 * i)).isZero();
        assertThat(Short.toUnsignedInt(b.getShort(1024 + 2 * 2))).isEqualTo(50256);

        TokenFile tf = TokenFile.open(f);
        assertThat(tf.format()).isEqualTo(TokenFile.Format.LLMC);
        assertThat(tf.size()).isEqualTo(TOKENS.length);
        assertThat(tf.toIntArray()).containsExactly(TOKENS);
        assertThat(tf.get(3)).isEqualTo(65535);
        int[] part = new int[3];
        tf.copyTo(2, part, 0, 3);
        assertThat(part).containsExactly(50256, 65535, 42);
    }

    @Test
    void rawUint16IsNanoGptsFormat(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("val.bin");
        TokenFile.write(f, TOKENS, TokenFile.Format.RAW_UINT16);
        byte[] bytes = Files.readAllBytes(f);
        assertThat(bytes).hasSize(2 * TOKENS.length);
        assertThat(bytes[4]).isEqualTo((byte) 0x50); // 50256 = 0xC450, little-endian
        assertThat(bytes[5]).isEqualTo((byte) 0xC4);
        TokenFile tf = TokenFile.open(f);
        assertThat(tf.format()).isEqualTo(TokenFile.Format.RAW_UINT16);
        assertThat(TokenFile.readAll(f)).containsExactly(TOKENS);
    }

    @Test
    void emptyFilesAreEmpty(@TempDir Path dir) {
        Path f = dir.resolve("e.bin");
        TokenFile.write(f, new int[0], TokenFile.Format.LLMC);
        assertThat(TokenFile.readAll(f)).isEmpty();
    }

    @Test
    void truncatedAndInconsistentFilesNameTheFile(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("broken.bin");
        TokenFile.write(f, TOKENS, TokenFile.Format.LLMC);
        byte[] ok = Files.readAllBytes(f);

        Files.write(f, Arrays.copyOf(ok, ok.length - 1));
        assertThatThrownBy(() -> TokenFile.open(f)).isInstanceOf(LoupeException.class)
                .hasMessageContaining(f.toString()).hasMessageContaining("7 tokens").hasMessageContaining("truncated");

        Files.write(f, Arrays.copyOf(ok, 100));
        assertThatThrownBy(() -> TokenFile.open(f)).isInstanceOf(LoupeException.class)
                .hasMessageContaining(f.toString()).hasMessageContaining("header");

        byte[] v2 = ok.clone();
        v2[4] = 2;
        Files.write(f, v2);
        assertThatThrownBy(() -> TokenFile.open(f)).isInstanceOf(LoupeException.class).hasMessageContaining("version 2");

        Files.write(f, new byte[] {1, 2, 3});
        assertThatThrownBy(() -> TokenFile.open(f)).isInstanceOf(LoupeException.class).hasMessageContaining("odd length");

        assertThatThrownBy(() -> TokenFile.open(dir.resolve("nope.bin"))).isInstanceOf(LoupeException.class)
                .hasMessageContaining("does not exist");
    }

    @Test
    void refusesTokensThatDoNotFitUint16(@TempDir Path dir) {
        assertThatThrownBy(() -> TokenFile.write(dir.resolve("x.bin"), new int[] {1, 65536}, TokenFile.Format.RAW_UINT16))
                .isInstanceOf(LoupeException.class).hasMessageContaining("token 1 is 65536");
        assertThat(dir.resolve("x.bin")).doesNotExist();
    }

    /** llm.c's "llama-3" token file, as data_common.write_datafile writes it: magic 20240801, version 7, uint32 ids. */
    static byte[] llama3File(int version, long... ids) {
        ByteBuffer b = ByteBuffer.allocate(1024 + 4 * ids.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, 20240801).putInt(4, version).putInt(8, ids.length);
        for (int i = 0; i < ids.length; i++) b.putInt(1024 + 4 * i, (int) ids[i]);
        return b.array();
    }

    /** Issue 20, item 3: this file used to be read as raw uint16 (55201, 308, 7, 0, …) and fail far away. */
    @Test
    void llmcUint32FormatIsReadAsUint32(@TempDir Path dir) throws Exception {
        Path f = Files.write(dir.resolve("llama.bin"), llama3File(7, 128000, 55713, 9906, 0, 128255));
        TokenFile t = TokenFile.open(f);
        assertThat(t.format()).isEqualTo(TokenFile.Format.LLMC_UINT32);
        assertThat(t.size()).isEqualTo(5);
        assertThat(TokenFile.readAll(f)).containsExactly(128000, 55713, 9906, 0, 128255);

        // the library writes the same bytes
        TokenFile.write(dir.resolve("again.bin"), new int[] {128000, 55713, 9906, 0, 128255}, TokenFile.Format.LLMC_UINT32);
        assertThat(Files.readAllBytes(dir.resolve("again.bin"))).isEqualTo(Files.readAllBytes(f));

        Path v2 = Files.write(dir.resolve("v2.bin"), llama3File(2, 1, 2));
        assertThatThrownBy(() -> TokenFile.open(v2)).isInstanceOf(LoupeException.class)
                .hasMessageContaining("magic 20240801 with version 2").hasMessageContaining("uint32 ids");
        Path cut = dir.resolve("cut.bin");
        Files.write(cut, Arrays.copyOf(llama3File(7, 1, 2, 3), 1024 + 10));
        assertThatThrownBy(() -> TokenFile.open(cut)).isInstanceOf(LoupeException.class)
                .hasMessageContaining("3 tokens (header[2]) of 4 bytes").hasMessageContaining("truncated");
        Path huge = Files.write(dir.resolve("huge.bin"), llama3File(7, 0xFFFF_FFF0L));
        assertThatThrownBy(() -> TokenFile.readAll(huge)).isInstanceOf(LoupeException.class).hasMessageContaining("4294967280");
    }
}
