// The booking page: four steps over the public JSON:API, with the page's publishable key.
//
// Choose a schedule (by location, service and provider name), choose a free time in the
// schedule's own time zone, take a visit token (which holds the slot while the form is
// filled), fill the form the schedule's visit settings describe (checked as the patient
// types, by the same rules the server enforces), book, and show the booking reference
// with a calendar file. Every word shown comes from the texts in the page's config.
"use strict";

(() => {
  const config = JSON.parse(document.getElementById("booking-config").textContent);
  const T = config.texts;
  const JSONAPI = "application/vnd.api+json";
  const STEPS = ["choose", "time", "details", "done"];
  const STEP_NAMES = { choose: T.step_choose, time: T.step_time, details: T.step_details, done: T.step_done };
  // Enough pages for any location's schedules; a catalog larger than this is not a list.
  const MAX_PAGES = 20;
  // Where the page sets the value itself: never a form field.
  const SET_BY_PAGE = new Set(["appointment-at", "appointment-type"]);
  // A rule about a few fields says the health system wants them asked (a ZIP code's
  // format); one about many is a blanket limit (every text's length) that asks nothing.
  const SPECIFIC_RULE_SIZE = 3;
  // Offered whenever the visit settings enable them, even when not required.
  const OFFERED = new Set(["patient-complaint", "comments"]);
  // The fields a patient can answer, in the order the form asks them, and how to ask.
  const FIELDS = {
    "first-name": { autocomplete: "given-name" },
    "middle-initial": { autocomplete: "additional-name" },
    "last-name": { autocomplete: "family-name" },
    birthdate: { autocomplete: "bday", hint: "MM/DD/YYYY", inputmode: "numeric" },
    gender: { autocomplete: "sex" },
    email: { type: "email", autocomplete: "email" },
    "phone-number": { type: "tel", autocomplete: "tel" },
    address: { autocomplete: "address-line1" },
    "address-2": { autocomplete: "address-line2" },
    city: { autocomplete: "address-level2" },
    state: { autocomplete: "address-level1" },
    zip: { autocomplete: "postal-code", inputmode: "numeric" },
    "new-patient": {},
    "caregiver-name": { autocomplete: "name" },
    pregnant: {},
    "weeks-pregnant": { inputmode: "numeric" },
    "insurance-plan-name": {},
    "insurance-member-number": {},
    "insurance-group-number": {},
    "requires-translator": {},
    "translator-language": {},
    "primary-care-physician": {},
    optin: {},
    "patient-complaint": { multiline: true },
    comments: { multiline: true },
  };
  const $ = (id) => document.getElementById(id);
  const state = {
    schedules: [],
    included: new Map(),
    schedule: null,
    types: [],
    type: null,
    times: [],
    weekStart: null,
    at: null,
    token: null,
    rules: [],
    screening: null,
    keywords: [],
    shown: [],
    calendarUrl: null,
    asked: new Set(), // fields the server asked for that the page had hidden
    picked: null, // a deep link's time, offered to be held
  };

  // --- texts ------------------------------------------------------------------------------

  function say(template, values = {}) {
    return template.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? values[name] : whole));
  }

  function fieldLabel(name) {
    return T.fields[name] || name.charAt(0).toUpperCase() + name.slice(1).replaceAll("-", " ");
  }

  function choiceLabel(value) {
    return T.choices[value] || String(value);
  }

  // --- the API ----------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, errors) {
      super(`HTTP ${status}`);
      this.status = status;
      this.errors = errors;
    }
  }

  async function api(path, { method = "GET", token = null, body = null, accept = JSONAPI } = {}) {
    const headers = { Accept: accept, Authorization: token ? `Bearer ${token}` : config.key };
    if (body) headers["Content-Type"] = JSONAPI;
    const url = path.startsWith("http") ? path : config.api + path;
    let response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: body ? JSON.stringify(body) : undefined,
        credentials: "omit",
      });
    } catch {
      throw new ApiError(0, []);
    }
    if (!response.ok) {
      let errors = [];
      try {
        errors = (await response.json()).errors || [];
      } catch {
        // Not a JSON:API error document (a proxy's page): the status says enough.
      }
      throw new ApiError(response.status, errors);
    }
    return response;
  }

  async function allPages(path) {
    const data = [];
    const included = [];
    let next = config.api + path;
    for (let page = 0; next && page < MAX_PAGES; page += 1) {
      const document_ = await (await api(next)).json();
      data.push(...document_.data);
      included.push(...(document_.included || []));
      next = document_.links && document_.links.next;
    }
    return { data, included };
  }

  function remember(resources) {
    for (const resource of resources) state.included.set(`${resource.type}:${resource.id}`, resource);
  }

  function related(resource, name) {
    const linkage = resource.relationships && resource.relationships[name];
    const data = linkage && linkage.data;
    if (Array.isArray(data)) return data.map((r) => state.included.get(`${r.type}:${r.id}`)).filter(Boolean);
    return data ? state.included.get(`${data.type}:${data.id}`) || null : null;
  }

  // --- steps and problems -----------------------------------------------------------------

  function show(step) {
    for (const name of STEPS) $(`step-${name}`).hidden = name !== step;
    for (const item of document.querySelectorAll(".steps li")) {
      if (item.dataset.step === step) item.setAttribute("aria-current", "step");
      else item.removeAttribute("aria-current");
    }
    $(`${step}-heading`).focus();
    const number = STEPS.indexOf(step) + 1;
    $("announcer").textContent = say(T.step_announcement, { number, name: STEP_NAMES[step] });
    reportHeight();
  }

  function describe(error) {
    if (!(error instanceof ApiError)) return say(T.error_general, { detail: error.message });
    if (error.status === 0) return T.error_network;
    if (error.status === 429) return T.error_rate;
    const detail = error.errors.map((e) => e.detail || e.title).filter(Boolean).join(" ");
    return say(T.error_general, { detail: detail || `HTTP ${error.status}` });
  }

  function showProblem(text) {
    const box = $("problem");
    box.textContent = text;
    box.hidden = false;
    reportHeight();
  }

  function hideProblem() {
    $("problem").hidden = true;
    $("problem").textContent = "";
  }

  async function guarded(action) {
    hideProblem();
    try {
      await action();
    } catch (error) {
      showProblem(describe(error));
    }
  }

  // A page embedded by embed.js tells its frame how tall it is (a number, nothing else).
  function reportHeight() {
    if (window.parent !== window) {
      const height = document.documentElement.scrollHeight;
      window.parent.postMessage({ type: "inquick:height", height }, "*");
    }
  }

  // --- step 1: where and with whom --------------------------------------------------------

  function option(value, text) {
    const element = document.createElement("option");
    element.value = value;
    element.textContent = text;
    return element;
  }

  async function loadLocations() {
    const { data } = await allPages("/locations?page[size]=100");
    const select = $("location");
    select.replaceChildren(option("", T.location_placeholder));
    for (const location of data) {
      const { name, city } = location.attributes;
      select.append(option(location.id, city && !name.includes(city) ? `${name}, ${city}` : name));
    }
    if (data.length === 1) {
      select.value = data[0].id;
      await loadSchedules(data[0].id);
    }
  }

  async function loadSchedules(locationId) {
    if (!locationId) {
      state.schedules = [];
      renderSchedules();
      return;
    }
    const include = "include=location,provider,service,appointment-types";
    const path = `/locations/${encodeURIComponent(locationId)}/schedules?${include}&page[size]=100`;
    const { data, included } = await allPages(path);
    remember(included);
    state.schedules = data;
    const services = new Map();
    for (const schedule of data) {
      const service = related(schedule, "service");
      if (service) services.set(service.id, service.attributes.name);
    }
    const select = $("service");
    const previous = select.value;
    select.replaceChildren(option("", T.service_any));
    for (const [id, name] of [...services].sort((a, b) => a[1].localeCompare(b[1]))) {
      select.append(option(id, name));
    }
    select.value = services.has(previous) ? previous : "";
    renderSchedules();
  }

  function scheduleParts(schedule) {
    const provider = related(schedule, "provider");
    const service = related(schedule, "service");
    const location = related(schedule, "location");
    return {
      who: provider ? provider.attributes.name : schedule.attributes.name,
      what: service ? service.attributes.name : schedule.attributes["service-name"] || "",
      where: location ? location.attributes.name : "",
    };
  }

  function renderSchedules() {
    const service = $("service").value;
    const words = $("provider-filter").value.trim().toLocaleLowerCase();
    const matching = state.schedules.filter((schedule) => {
      const chosenService = related(schedule, "service");
      if (service && (!chosenService || chosenService.id !== service)) return false;
      return !words || scheduleParts(schedule).who.toLocaleLowerCase().includes(words);
    });
    const list = $("schedules");
    list.replaceChildren(
      ...matching.map((schedule) => {
        const { who, what, where } = scheduleParts(schedule);
        const item = document.createElement("li");
        const button = document.createElement("button");
        button.type = "button";
        button.className = "choice";
        const name = document.createElement("strong");
        name.textContent = who;
        const detail = document.createElement("span");
        detail.textContent = [what, where].filter(Boolean).join(" · ");
        button.append(name, detail);
        button.addEventListener("click", () => guarded(() => chooseSchedule(schedule)));
        item.append(button);
        return item;
      }),
    );
    const summary = $("schedules-summary");
    if (!$("location").value) summary.textContent = T.choose_location_first;
    else if (matching.length === 0) summary.textContent = T.schedules_none;
    else if (matching.length === 1) summary.textContent = T.schedules_found_one;
    else summary.textContent = say(T.schedules_found, { count: matching.length });
    reportHeight();
  }

  // --- step 2: a time ---------------------------------------------------------------------

  function timeZone() {
    return state.schedule.attributes["time-zone-name"];
  }

  // "Eastern Time", not "Eastern Standard Time": right on either side of a clock change.
  function zoneName() {
    const parts = new Intl.DateTimeFormat(T.locale, {
      timeZone: timeZone(),
      timeZoneName: "longGeneric",
    }).formatToParts(new Date());
    const name = parts.find((part) => part.type === "timeZoneName");
    return name ? name.value : timeZone();
  }

  function clockTime(moment) {
    return new Intl.DateTimeFormat(T.locale, {
      timeZone: timeZone(),
      hour: "numeric",
      minute: "2-digit",
    }).format(new Date(moment));
  }

  // Dates are the schedule's own calendar dates, "YYYY-MM-DD", computed in UTC on purpose.
  function dayName(date, withYear = false) {
    const [year, month, day] = date.split("-").map(Number);
    const options = { timeZone: "UTC", weekday: "long", month: "long", day: "numeric" };
    if (withYear) options.year = "numeric";
    return new Intl.DateTimeFormat(T.locale, options).format(Date.UTC(year, month - 1, day));
  }

  function addDays(date, days) {
    const [year, month, day] = date.split("-").map(Number);
    return new Date(Date.UTC(year, month - 1, day + days)).toISOString().slice(0, 10);
  }

  // A free time's local date: the API writes times with the schedule's own UTC offset.
  function localDate(moment) {
    return moment.slice(0, 10);
  }

  function describeSlot(moment) {
    return say(T.time_button, { day: dayName(localDate(moment), true), time: clockTime(moment) });
  }

  async function chooseSchedule(schedule, at = "") {
    state.schedule = schedule;
    const types = related(schedule, "appointment-types") || [];
    const forPatients = types.filter((t) => (t.attributes.contexts || []).includes("Patient"));
    state.types = (forPatients.length ? forPatients : types).sort(
      (a, b) => (a.attributes.priority ?? 0) - (b.attributes.priority ?? 0),
    );
    state.type = state.types.length ? state.types[0].id : null;
    const select = $("visit-type");
    select.replaceChildren(...state.types.map((t) => option(t.id, t.attributes.name)));
    $("visit-type-field").hidden = state.types.length < 2;
    const { who, what, where } = scheduleParts(schedule);
    $("time-chosen").textContent = [who, what, where].filter(Boolean).join(" · ");
    $("time-zone").textContent = say(T.times_zone, { zone: zoneName() });
    await loadTimes();
    $("picked").hidden = true;
    show("time");
    if (at) offerTime(at);
  }

  // A deep link's time, shown to be confirmed: holding it takes a seat for minutes, which
  // only a patient's own click should do (not a crawler, not a reload).
  function offerTime(at) {
    const moment = state.times.find((time) => new Date(time).getTime() === new Date(at).getTime());
    if (!moment) {
      showProblem(T.time_taken);
      return;
    }
    state.weekStart = localDate(moment);
    renderWeek();
    $("picked-text").textContent = say(T.picked, { time: describeSlot(moment) });
    state.picked = moment;
    $("picked").hidden = false;
    reportHeight();
  }

  async function loadTimes() {
    const query = new URLSearchParams({ "schedule_ids[]": state.schedule.id });
    if (state.type) query.set("appointment_type", state.type);
    const document_ = await (await api(`/available-appointment-times?${query}`)).json();
    const times = new Set(document_.data.flatMap((entry) => entry.attributes.times));
    state.times = [...times].sort((a, b) => new Date(a) - new Date(b));
    state.weekStart = state.times.length ? localDate(state.times[0]) : null;
    renderWeek();
  }

  function renderWeek() {
    const days = $("days");
    days.replaceChildren();
    const nav = document.querySelector(".week-nav");
    if (!state.times.length) {
      nav.hidden = true;
      const location = related(state.schedule, "location");
      const phone = location && location.attributes.phone;
      const none = document.createElement("p");
      none.textContent = phone ? say(T.times_none_at_all, { phone }) : T.times_none_at_all_no_phone;
      days.append(none);
      reportHeight();
      return;
    }
    nav.hidden = false;
    const first = state.weekStart;
    const last = addDays(first, 6);
    const focused = document.activeElement;
    $("week-label").textContent = say(T.week_of, { first: dayName(first), last: dayName(last) });
    $("earlier").disabled = first <= localDate(state.times[0]);
    $("later").disabled = last >= localDate(state.times[state.times.length - 1]);
    // A week button that became disabled under the keyboard's focus hands it on, never
    // to the page's body: to the other button, or to the week it shows.
    if (focused && focused.disabled) {
      const other = focused === $("earlier") ? $("later") : $("earlier");
      (other.disabled ? $("week-label") : other).focus();
    }
    const byDay = new Map();
    for (const moment of state.times) {
      const date = localDate(moment);
      if (date >= first && date <= last) byDay.set(date, [...(byDay.get(date) || []), moment]);
    }
    if (!byDay.size) {
      const none = document.createElement("p");
      none.textContent = T.times_none;
      days.append(none);
    }
    for (const [date, moments] of byDay) days.append(dayOfTimes(date, moments));
    reportHeight();
  }

  function dayOfTimes(date, moments) {
    const section = document.createElement("section");
    section.className = "day";
    const heading = document.createElement("h4");
    heading.id = `day-${date}`;
    heading.textContent = dayName(date);
    const list = document.createElement("ul");
    list.className = "times";
    list.setAttribute("aria-labelledby", heading.id);
    for (const moment of moments) {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = clockTime(moment);
      button.setAttribute("aria-label", describeSlot(moment));
      button.addEventListener("click", () => guarded(() => takeTime(moment)));
      item.append(button);
      list.append(item);
    }
    section.append(heading, list);
    return section;
  }

  function moveWeek(days) {
    state.weekStart = addDays(state.weekStart, days);
    renderWeek();
  }

  // --- a visit token: the slot held while the form is filled -------------------------------

  // How long the hold lasts, in minutes from now: the patient's own clock may be in another
  // time zone than the clinic's, and a duration reads the same in every one.
  function holdText(header, moment) {
    const time = describeSlot(moment);
    const held = /^held;\s*expires=([^;\s]+)/.exec(header || "");
    if (!held) return say(T.not_held, { time });
    const minutes = Math.max(1, Math.round((new Date(held[1]) - Date.now()) / 60000));
    return say(minutes === 1 ? T.held_for_one : T.held_for, { time, minutes });
  }

  async function takeTime(moment) {
    const query = new URLSearchParams({ schedule_id: state.schedule.id, appointment_at: moment });
    if (state.type) query.set("appointment_type", state.type);
    let response;
    try {
      response = await api(`/visit-token?${query}`, { accept: "application/jwt" });
    } catch (error) {
      if (error.status !== 422) throw error;
      await loadTimes();
      showProblem(T.time_taken);
      return;
    }
    state.token = (await response.text()).trim();
    state.at = moment;
    await loadSettings();
    $("details-chosen").textContent = $("time-chosen").textContent;
    $("hold").textContent = holdText(response.headers.get("Slot-Hold"), moment);
    buildForm();
    show("details");
  }

  async function giveBackTime() {
    const token = state.token;
    state.token = null;
    if (token) {
      // Best effort: an unreleased hold ends by itself when it expires.
      await api("/visit-token", { method: "DELETE", token }).catch(() => {});
    }
    await loadTimes();
    show("time");
  }

  // --- step 3: the form the visit settings describe ----------------------------------------

  async function loadSettings() {
    const path = `/visit-settings/${encodeURIComponent(state.schedule.id)}`;
    const document_ = await (await api(path)).json();
    const settings = document_.data.attributes;
    state.rules = (document_.included || [])
      .filter((resource) => resource.type === "validations")
      .map((resource) => resource.attributes);
    state.keywords = settings["emergency-keywords"] || [];
    state.screening = settings["emergency-screening"];
    const enabled = new Set(settings["enabled-fields"]);
    const asked = new Set([...OFFERED].filter((name) => enabled.has(name)));
    for (const rule of state.rules) {
      const specific = rule.attributes.length <= SPECIFIC_RULE_SIZE;
      if (rule.kind === "presence" || rule.kind === "acceptance" || specific) {
        rule.attributes.filter((a) => enabled.has(a)).forEach((a) => asked.add(a));
      }
      if (rule.if && enabled.has(rule.if.attribute)) asked.add(rule.if.attribute);
    }
    const known = Object.keys(FIELDS).filter((name) => asked.has(name));
    const others = [...asked].filter((name) => !(name in FIELDS) && !SET_BY_PAGE.has(name));
    state.shown = [...known, ...others.sort()];
  }

  function rulesOf(name) {
    return state.rules.filter((rule) => rule.attributes.includes(name));
  }

  function isRequired(name) {
    return rulesOf(name).some((rule) => ["presence", "acceptance"].includes(rule.kind) && !rule.if);
  }

  function isConditional(name) {
    return rulesOf(name).some((rule) => rule.kind === "presence" && rule.if);
  }

  // The options of a field that must be one of them, as JSON values (1 is not "1").
  function choicesOf(name) {
    const inclusion = rulesOf(name).find((rule) => rule.kind === "inclusion" && !rule.if);
    return inclusion ? inclusion.options.in : null;
  }

  // What a checkbox sends when checked: the first value an acceptance rule accepts.
  function acceptedValue(name) {
    const acceptance = rulesOf(name).find((rule) => rule.kind === "acceptance");
    return acceptance ? (acceptance.options.accept || [true])[0] : undefined;
  }

  // A field's label; a required one marked `*` on screen and "required" in words for a
  // group or checkbox, which have no aria-required of their own to say it.
  function labelText(name, required, sayRequired = false) {
    const label = document.createElement("span");
    label.textContent = fieldLabel(name);
    if (required) {
      const mark = document.createElement("span");
      mark.className = "required";
      mark.setAttribute("aria-hidden", "true");
      mark.textContent = " *";
      label.append(mark);
    }
    if (required && sayRequired) {
      const words = document.createElement("span");
      words.className = "visually-hidden";
      words.textContent = ` (${T.required})`;
      label.append(words);
    }
    return label;
  }

  function errorElement(id) {
    const error = document.createElement("p");
    error.id = `${id}-error`;
    error.className = "error";
    error.setAttribute("aria-live", "polite");
    error.hidden = true;
    return error;
  }

  function buildField(name) {
    const id = `field-${name}`;
    const wrapper = document.createElement("div");
    wrapper.className = "field";
    wrapper.dataset.field = name;
    const required = isRequired(name) || isConditional(name);
    const choices = choicesOf(name);
    const how = FIELDS[name] || {};
    const described = [`${id}-error`];
    if (choices && choices.length <= 6) {
      const group = document.createElement("fieldset");
      group.id = id;
      const legend = document.createElement("legend");
      legend.append(labelText(name, required, true));
      group.append(legend);
      choices.forEach((value, index) => {
        const choice = document.createElement("label");
        choice.className = "choice-option";
        const radio = document.createElement("input");
        radio.type = "radio";
        radio.name = name;
        radio.value = String(index); // the option's place: its JSON value is in `choices`
        radio.id = `${id}-${index}`;
        radio.setAttribute("aria-describedby", described.join(" "));
        radio.addEventListener("change", () => fieldChanged(name));
        choice.append(radio, document.createTextNode(` ${choiceLabel(value)}`));
        group.append(choice);
      });
      group.append(errorElement(id));
      wrapper.append(group);
      return wrapper;
    }
    if (!choices && acceptedValue(name) !== undefined) {
      const box = document.createElement("input");
      box.type = "checkbox";
      box.id = id;
      box.name = name;
      box.setAttribute("aria-describedby", described.join(" "));
      box.addEventListener("change", () => fieldChanged(name));
      const label = document.createElement("label");
      label.className = "choice-option";
      label.append(box, document.createTextNode(" "), labelText(name, required, true));
      wrapper.append(label, errorElement(id));
      return wrapper;
    }
    const label = document.createElement("label");
    label.htmlFor = id;
    label.append(labelText(name, required));
    wrapper.append(label);
    if (how.hint) {
      const hint = document.createElement("p");
      hint.id = `${id}-hint`;
      hint.className = "hint";
      hint.textContent = how.hint;
      wrapper.append(hint);
      described.push(hint.id);
    }
    let input;
    if (choices) {
      input = document.createElement("select");
      input.append(option("", ""), ...choices.map((value, index) => option(String(index), choiceLabel(value))));
    } else if (how.multiline) {
      input = document.createElement("textarea");
      input.rows = 3;
    } else {
      input = document.createElement("input");
      input.type = how.type || "text";
      if (how.inputmode) input.inputMode = how.inputmode;
    }
    input.id = id;
    input.name = name;
    if (how.autocomplete) input.autocomplete = how.autocomplete;
    if (required) input.setAttribute("aria-required", "true");
    input.setAttribute("aria-describedby", described.join(" "));
    input.addEventListener("input", () => fieldChanged(name, true));
    input.addEventListener("blur", () => fieldChanged(name));
    wrapper.append(input, errorElement(id));
    return wrapper;
  }

  function buildForm() {
    state.asked = new Set();
    $("fields").replaceChildren(...state.shown.map(buildField));
    $("emergency").hidden = true;
    $("book").disabled = false;
    $("book").textContent = T.book_button;
    showConditionalFields();
  }

  // --- the rules, as the server checks them (inquick/booking/visit_rules.py) ---------------

  // A text field's text ("" for a choice or a checkbox).
  function rawValue(name) {
    const input = $(`field-${name}`);
    return input && input.tagName !== "FIELDSET" && input.type !== "checkbox" ? input.value : "";
  }

  // The value as sent: a choice's or a checkbox's JSON value, a text trimmed, and a
  // US-style birthdate turned into the API's YYYY-MM-DD; "" when there is none.
  function value(name) {
    const choices = choicesOf(name);
    const control = $(`field-${name}`);
    if (control && control.type === "checkbox") return control.checked ? acceptedValue(name) : "";
    if (choices) {
      const picked = control.tagName === "FIELDSET"
        ? [...control.querySelectorAll("input[type=radio]")].find((radio) => radio.checked)
        : control;
      return picked && picked.value !== "" ? choices[Number(picked.value)] : "";
    }
    const text = rawValue(name).trim();
    if (name === "birthdate") {
      const us = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text);
      if (us) return `${us[3]}-${us[1].padStart(2, "0")}-${us[2].padStart(2, "0")}`;
    }
    return text;
  }

  function values() {
    const found = {};
    for (const name of state.shown) {
      if (isVisible(name) && value(name) !== "") found[name] = value(name);
    }
    return found;
  }

  // Today in the schedule's time zone: the day the server judges birthdates and ages by.
  function today() {
    const parts = new Intl.DateTimeFormat("en-CA", {
      timeZone: timeZone(),
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
    }).format(new Date());
    const [year, month, day] = parts.split("-").map(Number);
    return new Date(Date.UTC(year, month - 1, day));
  }

  function parseDate(text) {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text || "");
    if (!match) return null;
    const date = new Date(Date.UTC(+match[1], +match[2] - 1, +match[3]));
    return date.getUTCMonth() === +match[2] - 1 && date.getUTCDate() === +match[3] ? date : null;
  }

  function ageOn(born, day) {
    const before =
      day.getUTCMonth() < born.getUTCMonth() ||
      (day.getUTCMonth() === born.getUTCMonth() && day.getUTCDate() < born.getUTCDate());
    return day.getUTCFullYear() - born.getUTCFullYear() - (before ? 1 : 0);
  }

  // JSON equality, as the server compares: true is not 1, and "1" is not 1.
  function sameJson(value, option) {
    return typeof value === typeof option && value === option;
  }

  function oneOf(value, options) {
    return options.some((option) => sameJson(value, option));
  }

  function conditionHolds(condition, current) {
    if (!condition) return true;
    const given = current[condition.attribute];
    if ("in" in condition) return oneOf(given, condition.in);
    const born = parseDate(given);
    return born !== null && born < today() && ageOn(born, today()) <= condition["age-at-most"];
  }

  // Why `amount` is not within the optional bounds, in the texts `[below, above]`.
  function outside(amount, low, high, field, [below, above]) {
    if (low !== undefined && amount < low) return say(below, { field, count: low });
    if (high !== undefined && amount > high) return say(above, { field, count: high });
    return null;
  }

  // Each kind's check of a value that is there: a string typed, or a choice's JSON value.
  const isText = (value) => typeof value === "string";
  const CHECKS = {
    email: (options, text, field) =>
      isText(text) && /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(text) ? null : say(T.rules.email, { field }),
    phone: (options, text, field) =>
      isText(text) && /^[0-9]{10}$/.test(text.replace(/[\s().-]/g, "")) ? null : say(T.rules.phone, { field }),
    format: (options, text, field) => {
      if (!isText(text)) return say(T.rules.format, { field });
      let pattern;
      try {
        pattern = new RegExp(`^(?:${options.with})$`, "u");
      } catch {
        return null; // a pattern this browser cannot read: the server still checks it
      }
      return pattern.test(text) ? null : say(T.rules.format, { field });
    },
    inclusion: (options, value, field) => (oneOf(value, options.in) ? null : say(T.rules.inclusion, { field })),
    length: (options, value, field) => {
      const size = isText(value) ? [...value].length : JSON.stringify(value).length;
      if ("is" in options && size !== options.is) return say(T.rules.length_is, { field, count: options.is });
      return outside(size, options.minimum, options.maximum, field, [T.rules.length_minimum, T.rules.length_maximum]);
    },
    numericality: (options, value, field) => {
      const numeral = isText(value) && /^-?[0-9]+(\.[0-9]+)?$/.test(value);
      if (!numeral && typeof value !== "number") return say(T.rules.number, { field });
      const amount = Number(value);
      if (options["only-integer"] && !Number.isInteger(amount)) return say(T.rules.integer, { field });
      const [low, high] = [options["greater-than-or-equal-to"], options["less-than-or-equal-to"]];
      return outside(amount, low, high, field, [T.rules.minimum, T.rules.maximum]);
    },
    birthdate: (options, text, field) => {
      const born = parseDate(text);
      if (!born) return say(T.rules.date, { field });
      if (born >= today()) return say(T.rules.past, { field });
      const age = ageOn(born, today());
      if (age < (options["minimum-age"] ?? age)) return say(T.rules.minimum_age, { count: options["minimum-age"] });
      if (age > (options["maximum-age"] ?? age)) return say(T.rules.maximum_age, { count: options["maximum-age"] });
      return null;
    },
  };

  function failure(rule, value, field) {
    if (rule.kind === "presence") return value === "" ? say(T.rules.required, { field }) : null;
    if (rule.kind === "acceptance") {
      return oneOf(value, rule.options.accept || [true]) ? null : say(T.rules.accepted, { field });
    }
    if (value === "" || !(rule.kind in CHECKS)) return null;
    return CHECKS[rule.kind](rule.options, value, field);
  }

  function problemWith(name, current) {
    for (const rule of rulesOf(name)) {
      if (!conditionHolds(rule.if, current)) continue;
      const found = failure(rule, name in current ? current[name] : "", fieldLabel(name));
      if (found) return rule.message ? `${fieldLabel(name)} ${rule.message}` : found;
    }
    return null;
  }

  // --- showing what is wrong, beside the field ---------------------------------------------

  function isVisible(name) {
    const wrapper = document.querySelector(`.field[data-field="${name}"]`);
    return Boolean(wrapper) && !wrapper.hidden;
  }

  function setError(name, message) {
    const error = $(`field-${name}-error`);
    if (!error) return false;
    error.textContent = message || "";
    error.hidden = !message;
    const controls = document.querySelectorAll(`[name="${name}"]`);
    for (const control of controls) {
      if (message) control.setAttribute("aria-invalid", "true");
      else control.removeAttribute("aria-invalid");
    }
    reportHeight();
    return true;
  }

  function showConditionalFields() {
    const current = values();
    for (const name of state.shown) {
      if (!isConditional(name) || isRequired(name) || state.asked.has(name)) continue;
      const conditions = rulesOf(name).filter((rule) => rule.kind === "presence" && rule.if);
      const wrapper = document.querySelector(`.field[data-field="${name}"]`);
      wrapper.hidden = !conditions.some((rule) => conditionHolds(rule.if, current));
    }
  }

  function fieldChanged(name, typing = false) {
    showConditionalFields();
    screenForEmergency();
    const error = $(`field-${name}-error`);
    // While typing, an error already shown is updated (and cleared once fixed); a new
    // one waits until the patient leaves the field.
    if (typing && error && error.hidden) return;
    setError(name, problemWith(name, values()));
  }

  function checkAll() {
    const current = values();
    const wrong = [];
    for (const name of state.shown) {
      const message = isVisible(name) ? problemWith(name, current) : null;
      setError(name, message);
      if (message) wrong.push(name);
    }
    return wrong;
  }

  function focusField(name) {
    const control = document.querySelector(`[name="${name}"]`);
    if (control) control.focus();
  }

  // --- emergencies: the 911 message before the patient can submit -------------------------

  function digitValue(character) {
    let start = character.codePointAt(0);
    while (/\p{Nd}/u.test(String.fromCodePoint(start - 1))) start -= 1;
    return String((character.codePointAt(0) - start) % 10);
  }

  const NORMALIZATION = {
    nfkc: (text) => text.normalize("NFKC"),
    // Full case folding's effect on matching: "ß" and "SS" alike, final "ς" as "σ".
    casefold: (text) => text.toUpperCase().toLowerCase(),
    "strip-marks": (text) => text.normalize("NFD").replace(/\p{M}/gu, ""),
    "ascii-digits": (text) => text.replace(/\p{Nd}/gu, digitValue),
    "letters-and-digits-only": (text) => text.replace(/[^\p{Lu}\p{Ll}\p{Lt}\p{Lo}\p{Nd}\p{Nl}\p{No}]/gu, ""),
  };

  function normalized(text) {
    const steps = (state.screening && state.screening.normalization) || [];
    return steps.reduce((current, step) => (NORMALIZATION[step] || ((t) => t))(current), text);
  }

  function namesEmergency() {
    if (!state.keywords.length || !state.screening) return false;
    const keywords = state.keywords.map(normalized).filter(Boolean);
    const limit = state.screening["characters-screened"] || 8000;
    return state.screening.members.some((name) => {
      const text = normalized([...rawValue(name)].slice(0, limit).join(""));
      return keywords.some((keyword) => text.includes(keyword));
    });
  }

  function screenForEmergency() {
    const emergency = namesEmergency();
    if ($("emergency").hidden === !emergency) return emergency;
    $("emergency").hidden = !emergency;
    reportHeight();
    return emergency;
  }

  // --- booking ----------------------------------------------------------------------------

  // The server names a field by its attribute ("last-name is required."); the page by its label.
  function inWords(name, detail) {
    return detail && detail.startsWith(`${name} `) ? fieldLabel(name) + detail.slice(name.length) : detail;
  }

  function serverErrors(error) {
    const general = [];
    let first = null;
    for (const entry of error.errors) {
      const pointer = (entry.source && entry.source.pointer) || "";
      const name = pointer.startsWith("/data/attributes/") ? pointer.slice(17) : null;
      const wrapper = name && document.querySelector(`.field[data-field="${name}"]`);
      if (wrapper) {
        // A field the page had hidden (its condition judged otherwise) is shown to be answered.
        state.asked.add(name);
        wrapper.hidden = false;
        setError(name, inWords(name, entry.detail));
        first = first || name;
      } else general.push(entry.detail || entry.title);
      if (/\b911\b/.test(entry.detail || "")) $("emergency").hidden = false;
    }
    if (general.length) showProblem(say(T.error_general, { detail: general.join(" ") }));
    if (first) focusField(first);
  }

  async function book(event) {
    event.preventDefault();
    hideProblem();
    const wrong = checkAll();
    if (screenForEmergency()) {
      $("emergency").focus();
      return;
    }
    if (wrong.length) {
      showProblem(wrong.length === 1 ? T.fix_error : say(T.fix_errors, { count: wrong.length }));
      focusField(wrong[0]);
      return;
    }
    const attributes = { "appointment-at": state.at, ...values() };
    if (state.type) attributes["appointment-type"] = state.type;
    const body = {
      data: {
        type: "visits",
        attributes,
        relationships: { schedule: { data: { type: "schedules", id: state.schedule.id } } },
      },
    };
    const button = $("book");
    button.disabled = true;
    button.textContent = T.booking;
    try {
      const created = await (await api("/visits", { method: "POST", token: state.token, body })).json();
      state.token = null;
      showBooked(created.data.attributes);
      await addBookingDetails(created.data.attributes["booking-reference"]);
    } catch (error) {
      if (error instanceof ApiError && error.status === 422 && error.errors.length) serverErrors(error);
      else showProblem(describe(error));
    } finally {
      button.disabled = false;
      button.textContent = T.book_button;
    }
  }

  // --- step 4: booked ---------------------------------------------------------------------

  function fact(term, detail) {
    if (!detail) return [];
    const dt = document.createElement("dt");
    dt.textContent = term;
    const dd = document.createElement("dd");
    dd.textContent = detail;
    return [dt, dd];
  }

  function showFacts(when, who, where, phone) {
    $("booking-facts").replaceChildren(
      ...fact(T.done_when, `${describeSlot(when)} (${zoneName()})`),
      ...fact(T.done_with, who),
      ...fact(T.done_where, where),
      ...fact(T.done_phone, phone),
    );
  }

  // The booked step from the booking's own answer: nothing more needs to succeed for the
  // patient to see the reference.
  function showBooked(visit) {
    $("reference").textContent = visit["booking-reference"];
    const { who, where } = scheduleParts(state.schedule);
    const location = related(state.schedule, "location");
    showFacts(visit["appointment-at"], who, where, location && location.attributes.phone);
    $("calendar").hidden = true;
    show("done");
  }

  // The booking as the API tells it (the full address) and its calendar file: extras, so a
  // failure (a rate limit, the network) leaves the booked step as it is.
  async function addBookingDetails(reference) {
    const path = `/bookings/${encodeURIComponent(reference)}`;
    try {
      const booking = (await (await api(path)).json()).data.attributes;
      const where = [booking["location-name"], booking.address].filter(Boolean).join(", ");
      showFacts(booking["appointment-at"], booking["provider-name"], where, booking.phone);
      // The calendar file is fetched with the key in a header, never put in a link's URL.
      const calendar = await api(`${path}/calendar`, { accept: "text/calendar" });
      if (state.calendarUrl) URL.revokeObjectURL(state.calendarUrl);
      state.calendarUrl = URL.createObjectURL(await calendar.blob());
      $("calendar").href = state.calendarUrl;
      $("calendar").hidden = false;
      reportHeight();
    } catch {
      // The reference is shown; with it the booking can be looked up again later.
    }
  }

  function startOver() {
    state.schedule = null;
    state.at = null;
    $("calendar").hidden = true;
    renderSchedules();
    show("choose");
  }

  // --- wiring -----------------------------------------------------------------------------

  async function openDeepLink() {
    const include = "include=location,provider,service,appointment-types";
    const path = `/schedules/${encodeURIComponent(config.schedule)}?${include}`;
    const document_ = await (await api(path)).json();
    remember(document_.included || []);
    const location = related(document_.data, "location");
    if (location) {
      $("location").value = location.id;
      await loadSchedules(location.id);
    }
    await chooseSchedule(document_.data, config.at);
  }

  function start() {
    $("choose-form").addEventListener("submit", (event) => event.preventDefault());
    $("location").addEventListener("change", (event) => guarded(() => loadSchedules(event.target.value)));
    $("service").addEventListener("change", renderSchedules);
    $("provider-filter").addEventListener("input", renderSchedules);
    $("visit-type").addEventListener("change", (event) => {
      state.type = event.target.value;
      guarded(loadTimes);
    });
    $("earlier").addEventListener("click", () => moveWeek(-7));
    $("later").addEventListener("click", () => moveWeek(7));
    for (const back of document.querySelectorAll("[data-back]")) {
      back.addEventListener("click", () => show(back.dataset.back));
    }
    $("another-time").addEventListener("click", () => guarded(giveBackTime));
    $("picked-continue").addEventListener("click", () => guarded(() => takeTime(state.picked)));
    $("details-form").addEventListener("submit", (event) => guarded(() => book(event)));
    $("book-another").addEventListener("click", startOver);
    if (typeof ResizeObserver === "function") new ResizeObserver(reportHeight).observe(document.body);
    guarded(async () => {
      await loadLocations();
      if (config.schedule) await openDeepLink();
    });
  }

  start();
})();
