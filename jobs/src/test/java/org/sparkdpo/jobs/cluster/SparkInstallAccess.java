package org.sparkdpo.jobs.cluster;

import java.util.List;

/** What other test packages need from {@link SparkInstall} to start child JVMs. */
public final class SparkInstallAccess {
    private SparkInstallAccess() {}

    public static List<String> opens() {
        return SparkInstall.OPENS;
    }

    public static List<String> testClassPath() {
        return SparkInstall.testClassPath();
    }
}
