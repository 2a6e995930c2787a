package org.sparkdpo.jobs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.sparkdpo.common.TaskOutOfMemoryException;

/** The one line for failures caused by memory, wherever in the cause chain they are. */
class MainOutOfMemoryTest {
    @Test
    void aTaskOutOfMemoryCarriedAsSparkTextIsFoundAndCutToItsLine() {
        TaskOutOfMemoryException task = TaskOutOfMemoryException.of(new OutOfMemoryError("Java heap space"),
                "a training step (worker 1, executor 2 (9@h))", "--batch-size");
        RuntimeException spark = new RuntimeException("Job aborted due to stage failure: Task 1 in stage 4.0 failed 4 times, "
                + "most recent failure: Lost task 1.3: " + task + "\n\tat org.sparkdpo...");
        Optional<String> line = Main.outOfMemory(new IllegalStateException("training round failed before step 3", spark));
        assertEquals("out of memory in a training step (worker 1, executor 2 (9@h)): the Java heap ran out; lower "
                + "--batch-size, or raise spark.executor.memory (local mode: spark.driver.memory / SPARK_DPO_HEAP)", line.orElseThrow());
    }

    @Test
    void offHeapDriverAndContainerKillsAreNamed() {
        String offHeap = TaskOutOfMemoryException.of(new OutOfMemoryError("Cannot allocate new FloatPointer(100): "
                + "totalBytes = 9G, physicalBytes = 10G"), "x", "--batch-tokens").getMessage();
        assertTrue(offHeap.contains("ND4J off-heap memory") && offHeap.contains("spark.executor.memoryOverhead"), offHeap);
        assertTrue(Main.outOfMemory(new OutOfMemoryError("Java heap space")).orElseThrow().startsWith("out of memory on the driver"));
        assertTrue(Main.outOfMemory(new RuntimeException("ExecutorLostFailure (executor 3 exited caused by one of the running "
                + "tasks) Reason: Container killed by YARN for exceeding memory limits. 9.1 GB of 9 GB physical memory used"))
                .orElseThrow().contains("raise spark.executor.memoryOverhead"));
        assertTrue(Main.outOfMemory(new RuntimeException("Command exited with code 52")).isPresent());
        assertTrue(Main.outOfMemory(new RuntimeException("no such file")).isEmpty());
    }
}
