package dev.loupe.bench;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import dev.loupe.tokens.bpe.ByteLevelBpe;
import dev.loupe.tokens.bpe.Gpt2Vocabulary;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * PERFORMANCE.md P5: GPT-2 BPE encoding, Loupe vs jtokkit ({@code r50k_base}, {@code encodeOrdinary})
 * on the same text. Throughput in texts per second; multiply by the text's MB for MB/s.
 * {@code -p file=PATH} picks the text (default: Tiny Shakespeare in the shared data directory).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class TokenizerBenchmark {
    @Param("/work/shared/data/tinyshakespeare.txt")
    public String file;

    private String text;
    private ByteLevelBpe loupe;
    private Encoding jtokkit;

    @Setup
    public void setUp() throws Exception {
        text = Files.readString(Path.of(file));
        loupe = Gpt2Vocabulary.bundled();
        jtokkit = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.R50K_BASE);
    }

    @Benchmark
    public int loupe() {
        return loupe.encode(text).length;
    }

    @Benchmark
    public int jtokkit() {
        return jtokkit.encodeOrdinary(text).size();
    }
}
