/**
 * Jakarta Servlet (6.x) adapters: the context filter and the participant dispatcher servlet. The
 * Servlet API is a {@code provided} dependency, so only these classes need a Servlet container.
 */
package io.covenant.client.servlet;
