package dev.loupe.cli;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class CommandListTest {

    /** `loupe --help` lists every command on exactly one line. */
    @Test
    void oneLinePerCommand() {
        var r = MainTest.run("--help");
        String list = r.out().substring(r.out().indexOf("Commands:") + "Commands:".length(), r.out().indexOf("Run 'loupe COMMAND"));
        long lines = list.strip().lines().count();
        int commands = new picocli.CommandLine(new Main()).getSubcommands().size();
        assertThat(lines).isEqualTo(commands);
        list.strip().lines().forEach(l -> assertThat(l.strip()).matches("[a-z-]+ +\\S.*\\."));
    }

    @Test
    void firstSentenceStopsAtTheFirstFullStop() {
        var spec = picocli.CommandLine.Model.CommandSpec.create();
        spec.usageMessage().description("Measure things. Then more detail follows here.");
        assertThat(CommandList.firstSentence(spec)).isEqualTo("Measure things.");
    }

    @Test
    void aCitationsFullStopDoesNotEndTheSentence() {
        var spec = picocli.CommandLine.Model.CommandSpec.create();
        spec.usageMessage().description("Head detectors (Olsson et al. 2022, e.g. induction). Then more.");
        assertThat(CommandList.firstSentence(spec)).isEqualTo("Head detectors (Olsson et al. 2022, e.g. induction).");
        spec.usageMessage().description("Head detectors (Olsson et al. 2022; Wang et al.): scores.");
        assertThat(CommandList.firstSentence(spec)).isEqualTo("Head detectors.");
    }

    @Test
    void theSparkJobsAreNamedUnderTheCommandList() {
        assertThat(MainTest.run("--help").out()).contains("loupe spark --help");
    }
}
