/** A Pod in CrashLoopBackOff after 240 restarts, as `kubectl get pod -o json` prints it. */
export const crashLoopPod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'worker', namespace: 'jobs', uid: 'a1b2c3d4-0000-4000-8000-000000000001' },
  spec: { containers: [{ name: 'worker', image: 'busybox:1.36' }], restartPolicy: 'Always' },
  status: {
    phase: 'Running',
    containerStatuses: [
      {
        name: 'worker',
        ready: false,
        restartCount: 240,
        state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container' } },
        lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: '2026-11-20T09:50:00Z', finishedAt: '2026-11-20T09:50:02Z' } },
      },
    ],
  },
};
