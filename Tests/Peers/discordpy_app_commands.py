"""discord.py's app_commands against the standalone `discord-emulator`, driven only through its control API.

It starts the emulator, creates a guild, a channel and a user over the control API, runs a discord.py bot with
slash commands (a deferred command whose follow-up carries a file, an autocompleted option, a button, an
ephemeral answer), acts as the user through the control API and checks what the user would see. It prints one
line per check and exits 0 only if all passed.

usage: discordpy_app_commands.py PATH/TO/discord-emulator
"""
import asyncio
import base64
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

import discord
import yarl
from discord import app_commands

emulator_binary = sys.argv[1]
scratch = tempfile.TemporaryDirectory()  # removed at exit
ready_file = os.path.join(scratch.name, "ready.json")
emulator = subprocess.Popen([emulator_binary, "--empty", "--ready-file", ready_file],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
deadline = time.time() + 30
while not (os.path.exists(ready_file) and os.path.getsize(ready_file) > 0):
    if time.time() > deadline or emulator.poll() is not None:
        sys.exit("the emulator did not start")
    time.sleep(0.05)
urls = json.load(open(ready_file))
control = urls["control"]


def call(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(control + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read()
        return json.loads(text) if text else None


guild = call("POST", "/guilds", {"id": "2000", "name": "py guild", "boost_tier": 1})
channel = call("POST", "/channels", {"id": "3000", "guild_id": "2000", "name": "general"})
user = call("POST", "/users", {"id": "501", "username": "ana"})

discord.http.Route.BASE = urls["api"]
discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(urls["gateway"])

GUILD = discord.Object(id=2000)
client = discord.Client(intents=discord.Intents.default())
tree = app_commands.CommandTree(client)
results = {}


@tree.command(name="fetch", description="Sends a file after thinking", guild=GUILD)
async def fetch(interaction: discord.Interaction, name: str):
    await interaction.response.defer(thinking=True)
    await asyncio.sleep(0.2)
    await interaction.followup.send(f"here is {name}", file=discord.File(io.BytesIO(b"payload-" + name.encode()),
                                                                          filename=name))


@fetch.autocomplete("name")
async def fetch_names(interaction: discord.Interaction, current: str):
    return [app_commands.Choice(name=n, value=n) for n in ["alpha.txt", "beta.txt", "alphabet.txt"]
            if n.startswith(current)]


class Confirm(discord.ui.View):
    @discord.ui.button(label="Yes", style=discord.ButtonStyle.danger, custom_id="confirm:yes")
    async def yes(self, interaction: discord.Interaction, button: discord.ui.Button):
        await interaction.response.edit_message(content="confirmed", view=None)


# discord.py registers a view only once the response that carries it has returned, after Discord has already shown
# the message. A person cannot press that fast; a script can, so the user presses only after this is set.
view_stored = asyncio.Event()


@tree.command(name="ask", description="Asks with a button", guild=GUILD)
async def ask(interaction: discord.Interaction):
    await interaction.response.send_message("sure?", view=Confirm())
    view_stored.set()


@tree.command(name="secret", description="Answers privately", guild=GUILD)
async def secret(interaction: discord.Interaction):
    await interaction.response.send_message("only you see this", ephemeral=True)


def check(name, ok, detail=""):
    results[name] = bool(ok)
    print(("PASS " if ok else "FAIL ") + name + ("" if ok else f": {detail}"), flush=True)


async def wait_for(probe, timeout=15):
    end = time.time() + timeout
    while time.time() < end:
        value = await asyncio.to_thread(probe)
        if value:
            return value
        await asyncio.sleep(0.1)
    return None


async def drive():
    try:
        await checks()
    except Exception as error:  # a failed step must end the run, not leave the bot waiting
        check("no errors", False, repr(error))
    await client.close()


async def checks():
    as_ana = {"user_id": "501", "channel_id": "3000"}
    # Autocomplete: the user types "alp".
    auto = await asyncio.to_thread(call, "POST", "/interactions/autocomplete",
                                   dict(as_ana, name="fetch", option="name", value="alp"))
    done = await wait_for(lambda: call("GET", f"/interactions/{auto['id']}")["response"])
    names = [c["name"] for c in (done or {}).get("data", {}).get("choices", [])]
    check("autocomplete", names == ["alpha.txt", "alphabet.txt"], names)

    # A deferred slash command whose follow-up carries a file.
    run = await asyncio.to_thread(call, "POST", "/interactions/commands",
                                  dict(as_ana, name="fetch", options={"name": "alpha.txt"}))
    state = await wait_for(lambda: (lambda s: s if s["followups"] else None)(call("GET", f"/interactions/{run['id']}")))
    check("deferred", state and state["response"]["type"] == 5, state and state["response"])
    followup = (state or {}).get("followups", [{}])[0]
    attachment = (followup.get("attachments") or [{}])[0]
    data = urllib.request.urlopen(attachment["url"]).read() if attachment.get("url") else b""
    check("follow-up with a file", followup.get("content") == "here is alpha.txt" and data == b"payload-alpha.txt",
          followup)

    # A button on a message, pressed by the user.
    asked = await asyncio.to_thread(call, "POST", "/interactions/commands", dict(as_ana, name="ask"))
    question = await wait_for(lambda: call("GET", f"/interactions/{asked['id']}")["original_message"])
    await asyncio.wait_for(view_stored.wait(), timeout=15)
    press = await asyncio.to_thread(call, "POST", "/interactions/buttons",
                                    {"user_id": "501", "message_id": question["id"], "custom_id": "confirm:yes"})
    edited = await wait_for(lambda: (lambda m: m if m["content"] == "confirmed" else None)(
        call("GET", f"/messages/{question['id']}")))
    pressed = call("GET", f"/interactions/{press['id']}")["response"]
    check("button", edited is not None and (pressed or {}).get("type") == 7, (edited, pressed))

    # An ephemeral answer: seen by the user, not in the channel.
    await asyncio.to_thread(call, "POST", "/interactions/commands", dict(as_ana, name="secret"))
    private = await wait_for(lambda: call("GET", "/users/501/ephemeral"))
    public = call("GET", "/channels/3000/messages")
    check("ephemeral", private and private[-1]["content"] == "only you see this"
          and all(m["content"] != "only you see this" for m in public), (private, public))

    state = call("GET", "/state")
    check("zlib-stream", state["compressed_connections"] >= 1 and state["gateway_connections"] >= 1, state)
    check("no refused bodies", state["form_errors"] == 0, state["form_errors"])


@client.event
async def on_ready():
    await tree.sync(guild=GUILD)
    print("READY and commands synced", flush=True)
    asyncio.get_running_loop().create_task(drive())


try:
    client.run(urls["token"], log_handler=None)
finally:
    emulator.terminate()
    emulator.wait(timeout=10)

expected = {"autocomplete", "deferred", "follow-up with a file", "button", "ephemeral", "zlib-stream",
            "no refused bodies"}
sys.exit(0 if set(results) == expected and all(results.values()) else 1)
