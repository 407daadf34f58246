"""English and 中文 for the pages: a small message catalogue and the language switch.

The language comes from `?lang=` (and is then kept in the session), else the session, else
the browser's Accept-Language. Domain labels carry their own translations (Label.get).
Counted things agree with their count ("1 piece", "2 pieces"; Chinese has no plural), and
numbers are shown as the quantity they are ("770", "0.24"), never as "770.0" or "None".
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, current_app, request, session

from c2m.web import formatting
from configurator.model import Feature, FeatureType

LANGUAGES = ("en", "zh")

MESSAGES: dict[str, tuple[str, str]] = {
    "products": ("Products", "产品"),
    "configure_your_product": ("Configure your product", "定制您的产品"),
    "from_price": ("from {price}", "{price} 起"),
    "configure": ("Configure", "开始定制"),
    "no_products": ("No products are loaded yet.", "尚未加载任何产品。"),
    "product_version": ("{product} · version {version}", "{product} · 版本 {version}"),
    "version": ("version {version}", "版本 {version}"),
    "language": ("Language", "语言"),
    "undo": ("Undo", "撤销"),
    "start_over": ("Start over", "重新开始"),
    "complete_defaults": ("Complete with defaults", "按默认值补全"),
    "cheapest": ("Cheapest", "最低价"),
    "change": ("Change", "更改"),
    "chosen": ("chosen", "已选"),
    "forced": ("the only possible value", "唯一可选值"),
    "unavailable": ("unavailable", "不可选"),
    "why": ("Why?", "原因"),
    "repair": ("Repair", "修正"),
    "never_available": ("never available", "从不可选"),
    "because_of": ("because of", "因为选择了"),
    "undo_choice": ("undo {feature}", "撤销{feature}"),
    "change_to": ("change {feature} to {value}", "将{feature}改为{value}"),
    "to_allow": ("{changes} to allow this", "{changes}即可选择此项"),
    "breakdown": ("Breakdown", "价格明细"),
    "choose": ("— choose —", "— 请选择 —"),
    "price": ("Price", "价格"),
    "price_total": ("Total", "合计"),
    "price_with_defaults": ("With defaults for the rest", "其余按默认值计"),
    "price_range": ("Price range of what is still possible", "仍可选配置的价格范围"),
    "complete_config": ("Your product is complete.", "您的产品已配置完整。"),
    "delivery": ("Delivery", "交货"),
    "promise_planner": ("ready by {date} (production schedule)", "预计 {date} 完成（按生产排程）"),
    "promise_lead": ("ready in about {days} working days", "约 {days} 个工作日完成"),
    "order_now": ("Order this product", "下单"),
    # The typed measures of the configurator (c2m.web.number_field) and the phone's price bar.
    "number_set": ("Set", "确定"),
    "number_possible": ("Possible now: {span}", "当前可选：{span}"),
    "number_none_possible": (
        "No value is possible with your other choices.",
        "按您的其他选择，没有可选的值。",
    ),
    "number_not_whole": ("“{text}” is not a whole number.", "“{text}”不是整数。"),
    "number_outside": (
        "{value} is not made: the range is {low} to {high}.",
        "{value} 不在可选范围内：范围为 {low} 至 {high}。",
    ),
    "number_off_step": (
        "{value} is not made: it comes in steps of {step}.",
        "{value} 不可选：以 {step} 为步长。",
    ),
    "number_unavailable": ("{value} is not possible.", "{value} 不可选。"),
    "number_nearest": ("Nearest possible:", "最接近的可选值："),
    "price_bar": ("Price and delivery", "价格与交期"),
    "ready_by": ("ready by {date}", "预计 {date} 完成"),
    "step": ("Step {number}", "第 {number} 步"),
    "show_options": ("Show options", "展开选项"),
    "hide_options": ("Hide options", "收起选项"),
    "conflict": ("These choices contradict each other", "这些选择互相矛盾"),
    "preview": ("Preview", "预览"),
    "checkout": ("Checkout", "结算"),
    "name": ("Name", "姓名"),
    "email": ("E-mail", "电子邮箱"),
    "phone": ("Phone", "电话"),
    "address": ("Delivery address", "送货地址"),
    "place_order": ("Place order", "提交订单"),
    "your_configuration": ("Your configuration", "您的配置"),
    "order_placed": ("Thank you, your order is placed.", "谢谢，您的订单已提交。"),
    "cancel_order": ("Cancel order", "取消订单"),
    "cancel_question": (
        "Cancel this order? This cannot be undone.",
        "确定取消此订单吗？取消后无法恢复。",
    ),
    "cancel_confirm": ("Yes, cancel the order", "确定取消订单"),
    "order_cancelled": ("This order is cancelled.", "此订单已取消。"),
    "cancel_refused_started": (
        "Production of this order has started, so it can no longer be cancelled.",
        "此订单已开始生产，无法再取消。",
    ),
    "cancel_refused_released": (
        "This order has gone to the factory; to cancel it, please contact us.",
        "此订单已下达工厂；如需取消，请联系我们。",
    ),
    "cancel_refused_finished": (
        "This order is finished and can no longer be cancelled.",
        "此订单已完成，无法再取消。",
    ),
    "order_number": ("Order number", "订单号"),
    "tracking_link": ("Your private tracking link", "您的专属跟踪链接"),
    "status": ("Status", "状态"),
    "promised": ("Promised for", "承诺交期"),
    "confirmation_pdf": ("Order confirmation (PDF)", "订单确认书（PDF）"),
    "units": ("Produced units", "已生产单元"),
    "production": ("Production", "生产"),
    "events": ("History", "历史"),
    "unit": ("Unit", "单元"),
    "unit_qr": ("Scan to open this page", "扫码打开本页"),
    "bom": ("Bill of materials", "物料清单"),
    "routing": ("Routing", "工艺路线"),
    "operation": ("Operation", "工序"),
    "machine": ("Machine", "设备"),
    "quantity": ("Quantity", "数量"),
    "part": ("Part", "零件"),
    "order_confirmation": ("Order confirmation", "订单确认书"),
    "scan_to_track": ("Scan to follow your order", "扫码跟踪订单"),
    "log_in": ("Log in", "登录"),
    "log_out": ("Log out", "退出"),
    "username": ("User name", "用户名"),
    "password": ("Password", "密码"),
    "wrong_login": ("Wrong user name or password.", "用户名或密码错误。"),
    "planning": ("Planning", "计划排程"),
    "admin": ("Admin", "管理"),
    "exports": ("Exports", "导出"),
    "export_of_run": ("Plan run #{run}", "排程版本 #{run}"),
    "export_of_day": ("Day {day}", "{day} 当天"),
    "export_schedule": ("Schedule", "排程"),
    "export_work_orders": ("Work orders", "工单"),
    "export_bom": ("BOM", "物料清单"),
    "export_cut_list": ("Cut list", "下料单"),
    "times_in_zone": ("Times in {zone}", "时间为 {zone}"),
    "legend": ("Legend", "图例"),
    "fixed_bar": ("frozen or released (outlined)", "已冻结或已下达（描边）"),
    "frozen_zone": ("frozen horizon (shaded)", "冻结区（阴影）"),
    "moved_order": ("Order", "订单"),
    "moved_product": ("Product", "产品"),
    "moved_start": ("Start", "开始"),
    "current_run": ("current", "当前"),
    "showing_run": ("Showing plan run #{run}", "正在查看排程版本 #{run}"),
    # Order-status e-mails (c2m.mail): subject, then the sentence that says what happened.
    "mail_subject_placed": ("Your order {number} is placed", "您的订单 {number} 已提交"),
    "mail_subject_scheduled": (
        "Your order {number} is scheduled: ready by {date}",
        "您的订单 {number} 已排期：预计 {date} 完成",
    ),
    "mail_subject_scheduled_undated": (
        "Your order {number} is scheduled",
        "您的订单 {number} 已排期",
    ),
    "mail_subject_completed": (
        "Your order {number} is made and will be shipped",
        "您的订单 {number} 已生产完成，即将发货",
    ),
    "mail_subject_cancelled": ("Your order {number} is cancelled", "您的订单 {number} 已取消"),
    "mail_greeting": ("Dear {name},", "{name}，您好："),
    "mail_placed": (
        "thank you for your order {number} ({product}).",
        "感谢您的订购！订单 {number}（{product}）已收到。",
    ),
    "mail_placed_promise": (
        "We expect it ready by {date} and will write again when it has its place in our "
        "production schedule.",
        "预计 {date} 完成；排入生产计划后我们会再通知您。",
    ),
    "mail_scheduled": (
        "your order {number} ({product}) has its place in our production schedule: "
        "it will be ready by {date}.",
        "您的订单 {number}（{product}）已排入生产计划，预计 {date} 完成。",
    ),
    "mail_scheduled_undated": (
        "your order {number} ({product}) has its place in our production schedule.",
        "您的订单 {number}（{product}）已排入生产计划。",
    ),
    "mail_completed": (
        "your order {number} ({product}) is made and will be shipped to you.",
        "您的订单 {number}（{product}）已生产完成，即将发货。",
    ),
    "mail_cancelled": (
        "your order {number} ({product}) is cancelled. If you did not ask for this, please "
        "contact us.",
        "您的订单 {number}（{product}）已取消。如非您本人要求，请与我们联系。",
    ),
    "mail_signature": ("Your c2m team", "c2m 团队"),
    # A change of mind in the configurator: what else a value of a chosen feature changes.
    "also_changes": ("Choosing {value} also means: {changes}.", "选择{value}需同时{changes}。"),
    "consequence": ("{rules}. {changes}", "{rules}。{changes}"),
    "apply_both": ("Apply both", "两项一起更改"),
    "apply_all": ("Apply all {count} changes", "{count} 项一起更改"),
    "apply_pick": ("Choose it", "选择此项"),
    "keep_value": ("Keep {value}", "保留{value}"),
    "keep_choices": ("Keep my choices", "保留原有选择"),
    "changes_others": ("changes other choices", "需更改其他选择"),
    "impossible_pick": ("{value} is possible in no product", "{value}在任何配置中都不可选"),
    "to_allow_values": ("{changes} to allow", "{changes}即可选择"),
}


# Messages about a count: ((English singular, English plural), Chinese).
PLURALS: dict[str, tuple[tuple[str, str], str]] = {
    "completions": (
        ("{count} complete product still possible", "{count} complete products still possible"),
        "仍有 {count} 种完整配置可选",
    ),
    "other_values_unavailable": (
        ("{count} other value is unavailable", "{count} other values are unavailable"),
        "另有 {count} 个值不可选",
    ),
    "never_possible_values": (
        (
            "{count} other value is possible in no product",
            "{count} other values are possible in no product",
        ),
        "另有 {count} 个值在任何配置中都不可选",
    ),
}

# Units of counted things as words: ((English singular, English plural), Chinese). Units not
# listed (mm, kg, l, rpm, m, m2) are symbols, the same for any quantity and language.
UNITS: dict[str, tuple[tuple[str, str], str]] = {
    "pcs": (("piece", "pieces"), "个"),
}


STATES_ZH = {
    "configured": "已配置", "engineered": "已完成工程设计", "planned": "已排程",
    "released": "已下达", "dispatched": "已发送至车间", "accepted": "车间已接收",
    "running": "生产中", "interrupted": "已中断", "completed": "已完成", "closed": "已关闭",
    "rejected": "已退回", "cancelled": "已取消", "aborted": "已中止",
}  # fmt: skip


# What a customer reads for the same states: where their order is, not the plant's stages.
CUSTOMER_STATES: dict[str, tuple[str, str]] = {
    "configured": ("Received", "已收到"), "engineered": ("Being prepared", "准备中"),
    "planned": ("Scheduled", "已排期"), "released": ("Scheduled for production", "待生产"),
    "dispatched": ("Scheduled for production", "待生产"),
    "accepted": ("At the workshop", "车间已接收"), "running": ("In production", "生产中"),
    "interrupted": ("Paused in production", "生产暂停"), "completed": ("Made", "已完成"),
    "closed": ("Closed", "已关闭"),
    "rejected": ("Held up: we will contact you", "遇到问题：我们会联系您"),
    "cancelled": ("Cancelled", "已取消"), "aborted": ("Stopped", "已中止"),
}  # fmt: skip


def customer_state(value: str, lang: str | None = None) -> str:
    """A lifecycle state as the customer's pages say it, in the page's language."""
    pair = CUSTOMER_STATES.get(value, (value, value))
    return pair[1] if (lang or language()) == "zh" else pair[0]


def state_label(value: str, lang: str | None = None) -> str:
    """A lifecycle state (an enum value) in the page's language."""
    return STATES_ZH.get(value, value) if (lang or language()) == "zh" else value


def language() -> str:
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        session["lang"] = asked
        return asked
    kept = session.get("lang")
    if kept in LANGUAGES:
        return str(kept)
    return request.accept_languages.best_match(LANGUAGES) or "en"


def translate(key: str, lang: str | None = None, **values: Any) -> str:
    """The message in the page's language; an unknown key is a programming error."""
    english, chinese = MESSAGES[key]
    text = chinese if (lang or language()) == "zh" else english
    return text.format(**values) if values else text


def _is_one(count: object) -> bool:
    try:
        return Decimal(str(count)) == 1
    except InvalidOperation:
        return False


def plural(key: str, count: int, lang: str | None = None, **values: Any) -> str:
    """A message about ``count`` things, singular or plural as the count asks (grouped
    thousands: "12,345 complete products still possible")."""
    (one, other), chinese = PLURALS[key]
    english = one if count == 1 else other
    text = chinese if (lang or language()) == "zh" else english
    return text.format(count=f"{count:,}", **values)


def number(value: object) -> str:
    """A quantity as people write it: 770.0 → "770", "0.2400" → "0.24", None → ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    try:
        exact = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if not exact.is_finite():
        return str(value)
    if exact == exact.to_integral_value():
        return str(exact.quantize(Decimal(1)))
    return format(exact.normalize(), "f")


def unit_label(unit: str | None, count: object, lang: str | None = None) -> str:
    """The unit of ``count`` things in the page's language: "piece" for one, else "pieces"."""
    if not unit:
        return ""
    if unit not in UNITS:
        return unit
    (one, other), chinese = UNITS[unit]
    if (lang or language()) == "zh":
        return chinese
    return one if _is_one(count) else other


def quantity(count: object, unit: str | None, lang: str | None = None) -> str:
    """A number with its unit: "1 piece", "3 pieces", "1900 mm", "2 个"."""
    return f"{number(count)} {unit_label(unit, count, lang)}".strip()


def value_label(feature: Feature, value: Any, lang: str | None = None) -> str:
    """A feature's value as the customer reads it; integer parameters with their unit in
    the right number ("1 piece", not "1 pcs")."""
    lang = lang or language()
    if feature.type is FeatureType.INTEGER:
        return quantity(value, feature.unit, lang)
    return feature.value_label(value, lang)


def product_name(record: Any, lang: str | None = None) -> str:
    """A loaded product model's name ("Modular sofa", "模块化沙发"), not its identifier."""
    lang = lang or language()
    if lang == "zh" and record.label_zh:
        return str(record.label_zh)
    return str(record.label_en or record.model)


def label(value: Any, lang: str | None = None) -> str:
    """A domain Label (or its dict form {en, zh}) in the page's language."""
    lang = lang or language()
    if isinstance(value, dict):
        return str(value.get(lang) or value.get("en") or "")
    return str(value.get(lang))


def money(amount: Any, currency: str | None = None, lang: str | None = None) -> str:
    """A price in the page's language and the order's (else the catalogue's) currency."""
    return formatting.money(amount, currency, lang or language())


def _factory_zone() -> ZoneInfo:
    return ZoneInfo(current_app.extensions["c2m.settings"].factory_timezone)


def day(moment: datetime, lang: str | None = None) -> str:
    """The day of a moment in the factory's zone, in the page's language."""
    return formatting.day(moment, lang or language(), _factory_zone())


def when(moment: datetime, lang: str | None = None) -> str:
    """A moment in the factory's zone to the minute, in the page's language."""
    return formatting.when(moment, lang or language(), _factory_zone())


def register(app: Flask) -> None:
    @app.context_processor
    def i18n_helpers() -> dict[str, Any]:
        return {
            "t": translate,
            "plural": plural,
            "lang": language(),
            "label": label,
            "state": state_label,
            "customer_state": customer_state,
            "product_name": product_name,
            "quantity": quantity,
            "unit_label": unit_label,
            "money": money,
            "day": day,
            "when": when,
        }

    app.add_template_filter(number, "number")
    app.add_template_filter(money, "money")
    app.add_template_filter(day, "day")
    app.add_template_filter(when, "when")
