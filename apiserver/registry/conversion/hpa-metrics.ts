// The metric shapes autoscaling/v1 keeps in annotations: k8s.io/api/autoscaling/v1's
// MetricSpec, MetricStatus and HorizontalPodAutoscalerCondition (the v2beta1 shapes:
// targetAverageUtilization, metricName, currentValue...), converted to and from
// autoscaling/v2 as pkg/apis/autoscaling/v1/conversion.go does. Behavior travels as the
// internal Go type marshalled without json tags, so its keys are Go's field names.
//
// One deliberate difference: Go writes a non-pointer Quantity that is unset as "0"; here
// an unset quantity stays unset both ways, so that v2 → v1 → v2 gives back what was stored.
import { compact, type JsonReader, type Obj } from './json-reader.js';

/** A stored (validated) v2 value: its members are read without checks. */
type V2 = Record<string, any>;

// ---------------------------------------------------------------------------------------------
// autoscaling/v2 → the v1 annotation shapes.

function crossVersionRef(ref: V2 | undefined): Obj | undefined {
  return ref && compact({ kind: ref.kind, name: ref.name, apiVersion: ref.apiVersion });
}

export function metricSpecToV1(m: V2): Obj {
  const { object: o, pods: p, resource: r, containerResource: c, external: e } = m;
  return compact({
    type: m.type,
    object: o && compact({ target: crossVersionRef(o.describedObject), metricName: o.metric?.name, targetValue: o.target?.value, selector: o.metric?.selector, averageValue: o.target?.averageValue }),
    pods: p && compact({ metricName: p.metric?.name, targetAverageValue: p.target?.averageValue, selector: p.metric?.selector }),
    resource: r && compact({ name: r.name, targetAverageUtilization: r.target?.averageUtilization, targetAverageValue: r.target?.averageValue }),
    containerResource: c && compact({ name: c.name, targetAverageUtilization: c.target?.averageUtilization, targetAverageValue: c.target?.averageValue, container: c.container }),
    external: e && compact({ metricName: e.metric?.name, metricSelector: e.metric?.selector, targetValue: e.target?.value, targetAverageValue: e.target?.averageValue }),
  });
}

export function metricStatusToV1(m: V2): Obj {
  const { object: o, pods: p, resource: r, containerResource: c, external: e } = m;
  return compact({
    type: m.type,
    object: o && compact({ target: crossVersionRef(o.describedObject), metricName: o.metric?.name, currentValue: o.current?.value, selector: o.metric?.selector, averageValue: o.current?.averageValue }),
    pods: p && compact({ metricName: p.metric?.name, currentAverageValue: p.current?.averageValue, selector: p.metric?.selector }),
    resource: r && compact({ name: r.name, currentAverageUtilization: r.current?.averageUtilization, currentAverageValue: r.current?.averageValue }),
    containerResource: c && compact({ name: c.name, currentAverageUtilization: c.current?.averageUtilization, currentAverageValue: c.current?.averageValue, container: c.container }),
    external: e && compact({ metricName: e.metric?.name, metricSelector: e.metric?.selector, currentValue: e.current?.value, currentAverageValue: e.current?.averageValue }),
  });
}

export function conditionToV1(c: V2): Obj {
  return compact({ type: c.type, status: c.status, lastTransitionTime: c.lastTransitionTime, reason: c.reason, message: c.message });
}

/** The internal HorizontalPodAutoscalerBehavior as json.Marshal writes it: Go field names. */
export function behaviorToAnnotation(b: V2): Obj {
  const rules = (x: V2 | undefined) =>
    x &&
    compact({
      StabilizationWindowSeconds: x.stabilizationWindowSeconds,
      SelectPolicy: x.selectPolicy,
      Policies: Array.isArray(x.policies) ? x.policies.map((p: V2) => compact({ Type: p.type, Value: p.value, PeriodSeconds: p.periodSeconds })) : undefined,
      Tolerance: x.tolerance,
    });
  return compact({ ScaleUp: rules(b.scaleUp), ScaleDown: rules(b.scaleDown) });
}

// ---------------------------------------------------------------------------------------------
// The v1 annotation shapes → autoscaling/v2, read with Go's leniency (see json-reader.ts).

function readRef(j: JsonReader, v: unknown): Obj | undefined {
  const o = j.object(v);
  return o && compact({ kind: j.field(o, 'kind'), name: j.field(o, 'name'), apiVersion: j.field(o, 'apiVersion') });
}

function identifier(j: JsonReader, name: unknown, selector: unknown): Obj {
  return compact({ name: j.string(name), selector: j.selector(selector) });
}

/** A target from v1's pair of fields: utilization wins, else an average value. */
function averageTarget(j: JsonReader, s: Obj): Obj {
  const utilization = j.int(j.get(s, 'targetAverageUtilization'));
  const averageValue = j.quantity(j.get(s, 'targetAverageValue'));
  return compact({ type: utilization === undefined ? 'AverageValue' : 'Utilization', averageValue, averageUtilization: utilization });
}

export function metricSpecFromV1(j: JsonReader, v: unknown): Obj | undefined {
  const m = j.object(v);
  if (!m) return undefined;
  const at = (name: string) => j.object(j.get(m, name));
  const [o, p, r, c, e] = [at('object'), at('pods'), at('resource'), at('containerResource'), at('external')];
  return compact({
    type: j.field(m, 'type'),
    object: o && objectSource(j, o),
    pods: p && {
      metric: identifier(j, j.get(p, 'metricName'), j.get(p, 'selector')),
      target: compact({ type: 'AverageValue', averageValue: j.quantity(j.get(p, 'targetAverageValue')) }),
    },
    resource: r && compact({ name: j.field(r, 'name'), target: averageTarget(j, r) }),
    containerResource: c && compact({ name: j.field(c, 'name'), target: averageTarget(j, c), container: j.field(c, 'container') }),
    external: e && externalSource(j, e),
  });
}

function objectSource(j: JsonReader, o: Obj): Obj {
  const value = j.quantity(j.get(o, 'targetValue'));
  const averageValue = j.quantity(j.get(o, 'averageValue'));
  return compact({
    describedObject: readRef(j, j.get(o, 'target')),
    target: compact({ type: averageValue === undefined ? 'Value' : 'AverageValue', value, averageValue }),
    metric: identifier(j, j.get(o, 'metricName'), j.get(o, 'selector')),
  });
}

function externalSource(j: JsonReader, e: Obj): Obj {
  const value = j.quantity(j.get(e, 'targetValue'));
  const averageValue = j.quantity(j.get(e, 'targetAverageValue'));
  return {
    metric: identifier(j, j.get(e, 'metricName'), j.get(e, 'metricSelector')),
    target: compact({ type: value === undefined ? 'AverageValue' : 'Value', value, averageValue }),
  };
}

export function metricStatusFromV1(j: JsonReader, v: unknown): Obj | undefined {
  const m = j.object(v);
  if (!m) return undefined;
  const at = (name: string) => j.object(j.get(m, name));
  const [o, p, r, c, e] = [at('object'), at('pods'), at('resource'), at('containerResource'), at('external')];
  const resourceCurrent = (s: Obj) => compact({ averageValue: j.quantity(j.get(s, 'currentAverageValue')), averageUtilization: j.int(j.get(s, 'currentAverageUtilization')) });
  return compact({
    type: j.field(m, 'type'),
    object: o && compact({
      metric: identifier(j, j.get(o, 'metricName'), j.get(o, 'selector')),
      current: compact({ value: j.quantity(j.get(o, 'currentValue')), averageValue: j.quantity(j.get(o, 'averageValue')) }),
      describedObject: readRef(j, j.get(o, 'target')),
    }),
    pods: p && { metric: identifier(j, j.get(p, 'metricName'), j.get(p, 'selector')), current: compact({ averageValue: j.quantity(j.get(p, 'currentAverageValue')) }) },
    resource: r && compact({ name: j.field(r, 'name'), current: resourceCurrent(r) }),
    containerResource: c && compact({ name: j.field(c, 'name'), current: resourceCurrent(c), container: j.field(c, 'container') }),
    external: e && {
      metric: identifier(j, j.get(e, 'metricName'), j.get(e, 'metricSelector')),
      current: compact({ value: j.quantity(j.get(e, 'currentValue')), averageValue: j.quantity(j.get(e, 'currentAverageValue')) }),
    },
  });
}

export function conditionFromV1(j: JsonReader, v: unknown): Obj | undefined {
  const c = j.object(v);
  if (!c) return undefined;
  return compact({
    type: j.field(c, 'type'),
    status: j.field(c, 'status'),
    lastTransitionTime: j.field(c, 'lastTransitionTime'),
    reason: j.field(c, 'reason'),
    message: j.field(c, 'message'),
  });
}

/** The behavior annotation (Go field names, or any case of them) → v2 behavior; undefined when empty. */
export function behaviorFromAnnotation(j: JsonReader, v: unknown): Obj | undefined {
  const b = j.object(v);
  if (!b) return undefined;
  const rules = (x: unknown) => {
    const r = j.object(x);
    return (
      r &&
      compact({
        stabilizationWindowSeconds: j.int(j.get(r, 'stabilizationWindowSeconds')),
        selectPolicy: j.field(r, 'selectPolicy'),
        policies: j.array(j.get(r, 'policies'), (y) => {
          const p = j.object(y);
          return p && compact({ type: j.field(p, 'type'), value: j.int(j.get(p, 'value')), periodSeconds: j.int(j.get(p, 'periodSeconds')) });
        }),
        tolerance: j.quantity(j.get(r, 'tolerance')),
      })
    );
  };
  const out = compact({ scaleUp: rules(j.get(b, 'scaleUp')), scaleDown: rules(j.get(b, 'scaleDown')) });
  return Object.keys(out).length ? out : undefined;
}
