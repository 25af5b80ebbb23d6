package dev.loupe.tensor.io;

import dev.loupe.LoupeException;
import dev.loupe.tensor.Tensor;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NpyTest {
    static final Path PYTHON = Path.of("/usr/bin/python3");

    @TempDir
    Path dir;

    @Test
    void roundTripsEveryRank() {
        Tensor[] ts = {Tensor.scalar(3.5f), Tensor.randn(1, 1f, 7), Tensor.randn(2, 1f, 3, 5),
                Tensor.randn(3, 1f, 2, 3, 4), Tensor.zeros(0, 4), Tensor.randn(4, 1f, 4, 6).transpose(0, 1)};
        for (int i = 0; i < ts.length; i++) {
            Path p = dir.resolve(i + ".npy");
            Npy.write(p, ts[i]);
            Tensor back = Npy.read(p);
            assertThat(back.shape()).isEqualTo(ts[i].shape());
            assertThat(back.toArray()).containsExactly(ts[i].toArray());
        }
    }

    @Test
    void dataStartsAtAMultipleOf64() throws IOException {
        Path p = dir.resolve("a.npy");
        Npy.write(p, Tensor.zeros(3, 5));
        byte[] b = Files.readAllBytes(p);
        int dataStart = b.length - 4 * 15;
        assertThat(dataStart % 64).isZero();
        assertThat(new String(b, 10, dataStart - 10, StandardCharsets.US_ASCII))
                .startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 5), }").endsWith("\n");
    }

    @Test
    void badFilesNameTheProblem() throws IOException {
        Path p = dir.resolve("bad.npy");
        Files.write(p, "hello world, not numpy".getBytes(StandardCharsets.US_ASCII));
        assertThatThrownBy(() -> Npy.read(p)).isInstanceOf(LoupeException.class)
                .hasMessageContaining("bad.npy").hasMessageContaining("magic");
        Npy.write(p, Tensor.zeros(10));
        byte[] b = Files.readAllBytes(p);
        Files.write(p, java.util.Arrays.copyOf(b, b.length - 1));
        assertThatThrownBy(() -> Npy.read(p)).isInstanceOf(LoupeException.class).hasMessageContaining("truncated");
        Files.write(p, new String(b, StandardCharsets.ISO_8859_1).replace("<f4", "<f8").getBytes(StandardCharsets.ISO_8859_1));
        assertThatThrownBy(() -> Npy.read(p)).isInstanceOf(LoupeException.class).hasMessageContaining("'<f8'");
    }

    static boolean numpyPresent() {
        if (!Files.isExecutable(PYTHON)) return false;
        try {
            return run("import numpy") != null;
        } catch (IOException e) {
            return false;
        }
    }

    /** Runs a Python snippet; returns stdout, or null if it failed. */
    static String run(String code, String... args) throws IOException {
        String[] cmd = new String[3 + args.length];
        cmd[0] = PYTHON.toString();
        cmd[1] = "-c";
        cmd[2] = code;
        System.arraycopy(args, 0, cmd, 3, args.length);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return null;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
        return p.exitValue() == 0 ? out : "FAILED: " + out;
    }

    @Test
    void numpyReadsWhatWeWriteAndWeReadWhatNumpyWrites() throws IOException {
        Assumptions.assumeTrue(numpyPresent(), "numpy absent at /usr/bin/python3: cross-check with numpy skipped");
        Tensor t = Tensor.of(new float[] {1.5f, -2f, 3.25f, 1e-7f, 65504f, -0f}, 2, 3);
        Path ours = dir.resolve("ours.npy");
        Npy.write(ours, t);
        String out = run("import numpy,sys; a=numpy.load(sys.argv[1]); print(a.dtype, a.shape, a.flags['C_CONTIGUOUS'], "
                + "repr(a.astype(float).tolist()))", ours.toString());
        assertThat(out).isEqualTo("float32 (2, 3) True [[1.5, -2.0, 3.25], [1.0000000116860974e-07, 65504.0, -0.0]]\n");

        Path theirs = dir.resolve("theirs.npy");
        Path fortran = dir.resolve("fortran.npy");
        Path big = dir.resolve("big.npy");
        assertThat(run("import numpy,sys\n"
                + "a=numpy.arange(24,dtype=numpy.float32).reshape(2,3,4)/7\n"
                + "numpy.save(sys.argv[1],a)\n"
                + "numpy.save(sys.argv[2],numpy.asfortranarray(a))\n"
                + "numpy.save(sys.argv[3],a.astype('>f4'))\n", theirs.toString(), fortran.toString(), big.toString()))
                .isEqualTo("");
        float[] expected = new float[24];
        for (int i = 0; i < 24; i++) expected[i] = (float) i / 7f;
        for (Path p : new Path[] {theirs, fortran, big}) {
            Tensor r = Npy.read(p);
            assertThat(r.shape()).as(p.toString()).containsExactly(2, 3, 4);
            assertThat(r.toArray()).as(p.toString()).containsExactly(expected);
        }
    }
}
