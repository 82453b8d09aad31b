// The objects of the seeds' scenarios, as a user would write them (YAML for kubectl apply).
// Images are the ones every node has (skiff/busybox:1.35, skiff/pause:3.10,
// skiff/hello-node:1.0) or built by the test and loaded with `skiff image load`.

/** The seed's ReplicaSet: name "my-rc", selector {app: MyApp}, replicas 4. */
export const replicaSet = (ns: string) => `
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: my-rc, namespace: ${ns}}
spec:
  replicas: 4
  selector: {matchLabels: {app: MyApp}}
  template:
    metadata: {labels: {app: MyApp}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - {name: app, image: skiff/busybox:1.35, command: [sleep, '100000']}
`;

/** The seed's selector figure: App = MyApp with Role = FE|BE and Phase = prod|test, and one pod of another app. */
export const LABELLED_PODS: Record<string, Record<string, string>> = {
  'fe-prod': { app: 'MyApp', role: 'FE', phase: 'prod' },
  'fe-test': { app: 'MyApp', role: 'FE', phase: 'test' },
  'be-prod': { app: 'MyApp', role: 'BE', phase: 'prod' },
  'be-test': { app: 'MyApp', role: 'BE', phase: 'test' },
  'other-fe-prod': { app: 'Other', role: 'FE', phase: 'prod' },
};

export const pausePod = (ns: string, name: string, labels: Record<string, string> = {}) => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${ns}, labels: ${JSON.stringify(labels)}}
spec:
  terminationGracePeriodSeconds: 1
  containers: [{name: pause, image: 'skiff/pause:3.10'}]
---`;

/** The seed's App + LogCollector pod: the app writes a log file into a shared emptyDir, the sidecar follows it. */
export const appWithLogCollector = (ns: string) => `
apiVersion: v1
kind: Pod
metadata: {name: app-with-logcollector, namespace: ${ns}}
spec:
  terminationGracePeriodSeconds: 1
  volumes: [{name: logs, emptyDir: {}}]
  containers:
  - name: app
    image: skiff/busybox:1.35
    command: [sh, -c, 'i=0; while [ $i -lt 100000 ]; do i=$((i+1)); echo "app line $i" >> /var/log/app/app.log; sleep 1; done']
    volumeMounts: [{name: logs, mountPath: /var/log/app}]
  - name: logcollector
    image: skiff/busybox:1.35
    command: [sh, -c, 'until [ -f /var/log/app/app.log ]; do sleep 0.2; done; exec tail -n +1 -f /var/log/app/app.log']
    volumeMounts: [{name: logs, mountPath: /var/log/app, readOnly: true}]
`;

/** The seed's javaweb pod: an init container copies sample.war into a shared volume; the web server serves its webapps directory. */
export const warPod = (ns: string) => `
apiVersion: v1
kind: Pod
metadata: {name: javaweb, namespace: ${ns}}
spec:
  terminationGracePeriodSeconds: 1
  volumes: [{name: app-volume, emptyDir: {}}]
  initContainers:
  - name: war
    image: skiff/busybox:1.35
    command: [sh, -c, 'echo "sample.war built $(date)" > /sample.war && cp /sample.war /app/']
    volumeMounts: [{name: app-volume, mountPath: /app}]
  containers:
  - name: tomcat
    image: skiff/busybox:1.35
    command: [httpd, -f, -p, '8080', -h, /root/apache-tomcat/webapps]
    ports: [{containerPort: 8080}]
    volumeMounts: [{name: app-volume, mountPath: /root/apache-tomcat/webapps}]
`;

/** NoExecute tolerations of a lost node, short, so that pods leave it quickly (taint-based eviction). */
const fastEviction = (seconds: number) => `
      tolerations:
      - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: ${seconds}}
      - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: ${seconds}}`;

export const failoverDeployment = (ns: string, replicas: number) => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: failover, namespace: ${ns}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: failover}}
  template:
    metadata: {labels: {app: failover}}
    spec:
      terminationGracePeriodSeconds: 1${fastEviction(5)}
      containers: [{name: pause, image: 'skiff/pause:3.10'}]
`;

/** A web Deployment for zero-downtime rollouts: readiness-gated, never below 3 available, draining on preStop. */
export const webDeployment = (ns: string, image: string) => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${ns}}
spec:
  replicas: 3
  minReadySeconds: 2
  strategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 0, maxSurge: 1}}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 15
      containers:
      - name: web
        image: ${image}
        ports: [{containerPort: 8080}]
        readinessProbe: {httpGet: {path: /, port: 8080}, periodSeconds: 1}
        lifecycle: {preStop: {exec: {command: [sleep, '5']}}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: ${ns}}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
`;

/** A busybox client calling the Service by its DNS name, a line per request: "ok BODY" or "FAIL …"; bounded in count. */
export const webClient = (ns: string, requests: number) => `
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: ${ns}}
spec:
  terminationGracePeriodSeconds: 1
  restartPolicy: Never
  containers:
  - name: client
    image: skiff/busybox:1.35
    command:
    - sh
    - -c
    - 'i=0; while [ $i -lt ${requests} ]; do i=$((i+1)); if out=$(timeout 3 wget -q -O - http://web/ 2>&1); then echo "ok $out"; else echo "FAIL $i $out"; fi; sleep 0.1; done; echo finished; exec sleep 100000'
`;

/** The web image of one version: busybox httpd serving "web VERSION" on 8080. */
export const webDockerfile = `FROM skiff/busybox:1.35
COPY index.html /www/index.html
EXPOSE 8080
CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]
`;

/** A CPU burner while LOAD=on (capped at 200m, requesting 100m: 200% of its request), idle otherwise. */
export const burnerDeployment = (ns: string) => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: burner, namespace: ${ns}}
spec:
  replicas: 1
  selector: {matchLabels: {app: burner}}
  template:
    metadata: {labels: {app: burner}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: burner
        image: skiff/busybox:1.35
        command: [sh, -c, 'if [ "$LOAD" = on ]; then while :; do :; done; else exec sleep 100000; fi']
        env: [{name: LOAD, value: 'on'}]
        resources: {requests: {cpu: 100m}, limits: {cpu: 200m}}
`;

/** Workloads that must live through a kill -9 of the control plane: a Deployment behind a NodePort, a bare ReplicaSet, a ConfigMap. */
export const steadyWorkloads = (ns: string) => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: steady, namespace: ${ns}}
spec:
  replicas: 4
  selector: {matchLabels: {app: steady}}
  template:
    metadata: {labels: {app: steady}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - {name: web, image: 'skiff/hello-node:1.0', ports: [{containerPort: 8080}], readinessProbe: {httpGet: {path: /, port: 8080}, periodSeconds: 2}}
---
apiVersion: v1
kind: Service
metadata: {name: steady, namespace: ${ns}}
spec:
  type: NodePort
  selector: {app: steady}
  ports: [{port: 8080, targetPort: 8080}]
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: my-rc, namespace: ${ns}}
spec:
  replicas: 2
  selector: {matchLabels: {app: MyApp}}
  template:
    metadata: {labels: {app: MyApp}}
    spec:
      terminationGracePeriodSeconds: 1
      containers: [{name: app, image: skiff/busybox:1.35, command: [sleep, '100000']}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: ${ns}}
data: {greeting: hello}
`;
