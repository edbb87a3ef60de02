package dev.sotto.node.it;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A test with a {@link Cluster} of node processes in a fresh directory, all killed at the end. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
abstract class ClusterTest {
  @TempDir Path dir;
  Cluster cluster;

  @BeforeEach
  final void openCluster() {
    cluster = new Cluster(dir);
  }

  @AfterEach
  final void closeCluster() {
    cluster.close();
  }
}
