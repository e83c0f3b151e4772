// Fix intents for AWS network findings (security groups, NACLs, load balancers), rendered by
// remediation/aws.ts.

/** Placeholder until the AWS exposure checks declare their fixes. */
export interface AwsNetworkFix {
  type: 'aws-network';
}
