package org.sparkdpo.jobs.cli;

import org.junit.jupiter.api.Test;
import org.sparkdpo.jobs.sft.SftSettings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code sft}'s options: LoRA by default, completion-only loss by default, the training loop options of {@code train}. */
class SftCommandTest {
    @Test
    void defaultsAreLoraWithCompletionOnlyLoss() {
        SftCommand c = Cli.parse(new SftCommand(), "--data", "d", "--model", "m", "--out", "o");
        SftSettings s = c.settings(3);
        assertFalse(s.full());
        assertTrue(s.completionOnly());
        assertNotNull(s.lora());
        assertEquals(8, s.lora().r());
        assertEquals(3, s.batching().workers());
        assertEquals(8, s.batching().batchSize());
    }

    @Test
    void fullAndAllTokens() {
        SftCommand c = Cli.parse(new SftCommand(), "--data", "d", "--model", "m", "--out", "o", "--full",
                "--completion-only", "false", "--lr", "1e-4", "--workers", "2");
        SftSettings s = c.settings(8);
        assertTrue(s.full());
        assertFalse(s.completionOnly());
        assertNull(s.lora());
        assertEquals(1e-4, s.optimizer().lr());
        assertEquals(2, s.batching().workers());
    }

    @Test
    void sftIsRegistered() {
        assertTrue(Commands.find(Commands.all(), "sft").isPresent());
    }
}
