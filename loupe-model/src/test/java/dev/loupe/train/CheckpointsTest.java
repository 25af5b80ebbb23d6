package dev.loupe.train;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.loupe.model.io.ModelDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CheckpointsTest {
    static final TokenData DATA = TokenData.split(TrainerTest.tokens(1500, 7));

    static TrainingSettings settings(int checkpointEvery) {
        return new TrainingSettings(4, 8, 24, new LrSchedule(3e-2, 3e-3, 3, 24, LrSchedule.Kind.COSINE),
                new AdamW.Settings(0.9, 0.95, 1e-8, 0.1), 1.0, "random", 5, 6, 4, checkpointEvery);
    }

    static List<Float> uninterrupted() {
        Trainer t = new Trainer(new BigramModel(TrainerTest.V, 11), settings(0), DATA);
        t.run(new Trainer.Listener() {}, null);
        return TrainerTest.losses(t);
    }

    /** Resumes from the newest checkpoint on disk and finishes the run. */
    static Trainer resume(Path out) {
        Checkpoints.Saved saved = new Checkpoints(out).loadLatest().orElseThrow();
        Trainer t = new Trainer(new BigramModel(saved.config(), saved.weights()), saved.settings(), DATA);
        t.restore(saved);
        t.run(new Trainer.Listener() {}, tr -> new Checkpoints(out).save(tr, null));
        return t;
    }

    @Test
    void extendingARunKeepsItsLearningRateSchedule() {
        TrainingSettings s = settings(0);
        TrainingSettings longer = s.withSteps(40);
        assertThat(longer.steps()).isEqualTo(40);
        // every step the original run planned keeps its rate; past its end the cosine stays at the floor
        for (int it = 0; it < 24; it++) assertThat(longer.schedule().at(it)).isEqualTo(s.schedule().at(it));
        for (int it = 24; it < 40; it++) assertThat(longer.schedule().at(it)).isEqualTo(3e-3);
        // and the checkpoint keeps both lengths and the decay groups
        TrainingSettings back = Checkpoints.settingsFromJson(Checkpoints.settingsToJson(
                new TrainingSettings(4, 8, 40, s.schedule(), new AdamW.Settings(0.9, 0.95, 1e-8, 0.1, true), 1.0,
                        "shuffled", 5, 6, 4, 0)));
        assertThat(back.steps()).isEqualTo(40);
        assertThat(back.schedule().steps()).isEqualTo(24);
        assertThat(back.adam().decayAll()).isTrue();
        assertThat(back.loader()).isEqualTo("shuffled");
    }

    @Test
    void stoppedAndResumedRunHasTheSameLossesAsAnUninterruptedOne(@TempDir Path out) throws Exception {
        List<Float> expected = uninterrupted();
        Trainer first = new Trainer(new BigramModel(TrainerTest.V, 11), settings(8), DATA);
        Checkpoints ck = new Checkpoints(out);
        // the run is killed right after its second checkpoint (step 16)
        assertThatThrownBy(() -> first.run(new Trainer.Listener() {}, t -> {
            ck.save(t, JsonNodeFactory.instance.objectNode().put("data", "test"));
            if (t.step() == 16) throw new IllegalStateException("killed");
        })).hasMessage("killed");

        assertThat(ck.latest()).hasValueSatisfying(p -> assertThat(p.getFileName().toString()).isEqualTo("step-000016"));
        assertThat(Files.list(out.resolve(Checkpoints.DIR)).count()).as("older checkpoints are removed").isOne();
        // the top-level model is the latest checkpoint's and loads as a model directory
        assertThat(ModelDirectory.read(out).weights().get("wte.weight").toArray())
                .containsExactly(((BigramModel) first.model()).w.toArray());
        Checkpoints.Saved saved = ck.loadLatest().orElseThrow();
        assertThat(saved.extra().path("data").asText()).isEqualTo("test");
        assertThat(saved.history().steps()).hasSize(16);

        Trainer resumed = resume(out);
        assertThat(TrainerTest.losses(resumed)).containsExactlyElementsOf(expected);
        assertThat(resumed.history().evals()).hasSize(4);
    }

    @Test
    void aCrashAtAnyPointOfASaveKeepsACompleteCheckpoint(@TempDir Path root) throws Exception {
        List<Float> expected = uninterrupted();
        for (String failAt : List.of("model", "optimizer", "state", "commit", "publish")) {
            Path out = root.resolve(failAt);
            Trainer t = new Trainer(new BigramModel(TrainerTest.V, 11), settings(8), DATA);
            Checkpoints ck = new Checkpoints(out, stage -> {
                if (stage.equals(failAt) && t.step() == 16) throw new IllegalStateException("crash at " + stage);
            });
            assertThatThrownBy(() -> t.run(new Trainer.Listener() {}, tr -> ck.save(tr, null)))
                    .hasMessage("crash at " + failAt);
            long latest = new Checkpoints(out).loadLatest().orElseThrow().step();
            // before the atomic rename the old checkpoint (8) is the latest; after it, the new one (16)
            assertThat(latest).as(failAt).isEqualTo(failAt.equals("commit") || failAt.equals("publish") ? 16 : 8);
            assertThat(Files.list(out.resolve(Checkpoints.DIR)).filter(p -> p.getFileName().toString().startsWith(".tmp")))
                    .as("leftovers of the interrupted save are cleaned up").isEmpty();
            assertThat(ModelDirectory.read(out).config().vocabSize()).isEqualTo(TrainerTest.V);
            assertThat(TrainerTest.losses(resume(out))).as(failAt).containsExactlyElementsOf(expected);
        }
    }
}
