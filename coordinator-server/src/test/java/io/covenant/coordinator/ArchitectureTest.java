package io.covenant.coordinator;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Keeps the layering of DESIGN.md: the core is pure, and neither core nor engine reads the wall
 * clock, makes its own randomness or ids, sleeps or starts threads, so that a seeded simulation
 * replays exactly.
 */
class ArchitectureTest {
  static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("io.covenant.coordinator");
  }

  @Test
  void coreDependsOnNoFrameworkNetworkDatabaseOrLogging() {
    noClasses().that().resideInAPackage("..coordinator.core..")
        .should().dependOnClassesThat().resideInAnyPackage(
            "io.vertx..", "java.net..", "java.sql..", "javax.sql..", "org.slf4j..", "io.micrometer..",
            "java.util.concurrent..", "java.io..", "java.nio..",
            "io.covenant.coordinator.engine..", "io.covenant.coordinator.store..", "io.covenant.coordinator.http..")
        .check(classes);
  }

  @Test
  void coreAndEngineNeverReadTheWallClockMakeRandomnessOrSleep() {
    noClasses().that().resideInAnyPackage("..coordinator.core..", "..coordinator.engine..")
        .should().callMethod(System.class, "currentTimeMillis")
        .orShould().callMethod(System.class, "nanoTime")
        .orShould().callMethod(Instant.class, "now")
        .orShould().callMethod(LocalDateTime.class, "now")
        .orShould().callMethod(UUID.class, "randomUUID")
        .orShould().callMethod(Thread.class, "sleep", long.class)
        .orShould().callMethod(Math.class, "random")
        .orShould().callMethod(ThreadLocalRandom.class, "current")
        .orShould().callConstructor(Random.class)
        .orShould().callConstructor(SecureRandom.class)
        .orShould().callConstructor(Thread.class, Runnable.class)
        .check(classes);
  }

  @Test
  void engineDoesNotDependOnTheHttpLayerOrAConcreteStore() {
    noClasses().that().resideInAPackage("..coordinator.engine..")
        .should().dependOnClassesThat().resideInAnyPackage(
            "io.covenant.coordinator.http..", "io.covenant.coordinator.store.journal..", "io.covenant.coordinator.store.memory..")
        .check(classes);
  }
}
