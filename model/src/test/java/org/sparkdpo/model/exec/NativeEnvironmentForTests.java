package org.sparkdpo.model.exec;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Gives every test JVM the native environment the jobs run with ({@link NativeEnvironment#apply()}: OpenBLAS
 * kernel, OpenMP wait policy), before any test class can load ND4J: registered through {@code META-INF/services},
 * in this module's test jar, which the other modules' tests also have on their class path.
 */
public final class NativeEnvironmentForTests implements LauncherSessionListener {
    @Override
    public void launcherSessionOpened(LauncherSession session) {
        NativeEnvironment.apply();
    }
}
