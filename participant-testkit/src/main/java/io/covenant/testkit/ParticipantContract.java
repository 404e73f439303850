package io.covenant.testkit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.TestTemplate;

/**
 * Marks a method whose invocations are the scenarios of the participant contracts registered on
 * the class with {@code @RegisterExtension}: one invocation per scenario, each shown under the
 * scenario's name, each failing with a {@link ContractViolations} that lists every rule the
 * participant broke in it.
 *
 * <pre>{@code
 * @RegisterExtension
 * static ParticipantContractExtension stock = ParticipantContractExtension
 *     .forTcc(() -> server.url("stock"), () -> server.url("stock"), () -> server.url("stock"))
 *     .payload(Map.of("sku", "A-1", "qty", 2))
 *     .effects(branch -> inventory.effectOf(branch.gid()));
 *
 * @ParticipantContract
 * void stockKeepsTheContract() {
 *   // runs after each scenario that passed: add checks of your own, or leave it empty
 * }
 * }</pre>
 *
 * <p>The method may take no parameters other than those your own extensions resolve.
 */
@Target({ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@TestTemplate
public @interface ParticipantContract {
  /**
   * The {@linkplain ParticipantContractExtension#named(String) name} of the contract to run here;
   * empty (the default) runs every contract registered on the class.
   */
  String value() default "";
}
