import { afterAll, beforeAll } from 'vitest';
import type { AwsServers } from './aws-server.js';

/**
 * Points the AWS SDK's standard configuration at the loopback servers for the tests of one file. It sets
 * static credentials and service endpoints in the environment and hides the shared config files. It also
 * turns the instance metadata service off, so that no credential lookup ever leaves the machine.
 */
export function useAwsEnvironment(servers: () => AwsServers): void {
  const saved = new Map<string, string | undefined>();
  const set = (name: string, value: string | undefined) => {
    if (!saved.has(name)) saved.set(name, process.env[name]);
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  };
  beforeAll(() => {
    const { endpoints } = servers();
    set('AWS_ACCESS_KEY_ID', 'AKIAEXAMPLEBASEKEY01');
    set('AWS_SECRET_ACCESS_KEY', 'base-secret-key-for-tests');
    set('AWS_SESSION_TOKEN', undefined);
    set('AWS_PROFILE', undefined);
    set('AWS_REGION', 'eu-west-2');
    set('AWS_EC2_METADATA_DISABLED', 'true');
    set('AWS_CONFIG_FILE', '/nonexistent/rampart-test/config');
    set('AWS_SHARED_CREDENTIALS_FILE', '/nonexistent/rampart-test/credentials');
    set('AWS_ENDPOINT_URL', undefined);
    set('AWS_ENDPOINT_URL_EC2', endpoints.ec2);
    set('AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2', endpoints.elbv2);
    set('AWS_ENDPOINT_URL_EKS', endpoints.eks);
    set('AWS_ENDPOINT_URL_STS', endpoints.sts);
    set('KUBECONFIG', '/nonexistent/rampart-test/kubeconfig');
  });
  afterAll(() => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
}
