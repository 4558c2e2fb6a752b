"""k2ctl's own messages in English and Simplified Chinese, chosen from the locale
(LC_ALL, LC_MESSAGES, LANG); the server's messages arrive already translated."""

from __future__ import annotations

import os

ZH = {
    "Not logged in: run `k2ctl login --url URL` first.": "尚未登录：请先运行 `k2ctl login --url URL`。",
    "To log in, open {page} (signed in to K2Cloud) and confirm the code {code}.": "要登录，请在已登录 K2Cloud 的浏览器中打开 {page} 并确认代码 {code}。",
    "Waiting for the confirmation (the code expires in {minutes} minutes)…": "正在等待确认（代码 {minutes} 分钟后过期）……",
    "The login was denied in the portal.": "该登录已在门户中被拒绝。",
    "The code expired: run `k2ctl login` again.": "代码已过期：请重新运行 `k2ctl login`。",
    "Logged in to {url} as {user}; the session expires at {expires}.": "已以 {user} 身份登录 {url}；会话于 {expires} 过期。",
    "Logged out: the session token is revoked.": "已退出：会话令牌已吊销。",
    "Cannot reach K2Cloud at {url}: {error}": "无法连接 K2Cloud（{url}）：{error}",
    "K2Cloud refused the request ({code}): {message}": "K2Cloud 拒绝了请求（{code}）：{message}",
    "Give the K2Cloud address with --url.": "请用 --url 指定 K2Cloud 地址。",
    "Wrote {path} (context {context}); use it with: export KUBECONFIG={path}": "已写入 {path}（上下文 {context}）；使用方法：export KUBECONFIG={path}",
    "kubectl was not found: install it or set K2CTL_KUBECTL.": "未找到 kubectl：请安装它或设置 K2CTL_KUBECTL。",
    "Write SPACE/APP, e.g. shop/web.": "请写成 空间/应用，例如 shop/web。",
    "No running pod of app {app} in space {space}.": "空间 {space} 中没有应用 {app} 的运行中 Pod。",
    "Space {space} runs on no cluster.": "空间 {space} 不在任何集群上。",
    "Cluster {cluster} is not one of space {space}'s: {clusters}.": "集群 {cluster} 不属于空间 {space}：{clusters}。",
    "Give the command after --, e.g. k2ctl exec shop/web -- ls.": "请在 -- 之后给出命令，例如 k2ctl exec shop/web -- ls。",
    "The session was refreshed; it expires at {expires}.": "会话已续期，于 {expires} 过期。",
    "User": "用户",
    "Token": "令牌",
    "Session expires": "会话过期时间",
    "Server": "服务器",
    "SPACE": "空间",
    "ENVIRONMENT": "环境",
    "ROLE": "角色",
    "CLUSTERS": "集群",
    "NAME": "名称",
    "KIND": "类型",
    "STATUS": "状态",
    "EXEC": "可执行",
    "yes": "是",
    "no": "否",
}


def language() -> str:
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(var, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def t(msgid: str, /, **values) -> str:
    text = ZH.get(msgid, msgid) if language() == "zh" else msgid
    return text.format(**values) if values else text
