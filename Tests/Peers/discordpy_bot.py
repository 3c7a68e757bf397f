"""A discord.py 2.x bot pointed at the emulator: it logs in, waits for `!reverse` with an attachment, reads the
attachment from the CDN and replies with the reversed bytes as a file, then exits. Proves the emulator speaks
Discord's wire format to a client nobody here wrote. Before replying it sends two files Discord refuses, and
prints how discord.py read each refusal: one to channel 3001, where the test denies the bot ATTACH_FILES
(`FORBIDDEN status code`), and one over the guild's 10 MiB limit (`TOO LARGE status code`). Guild updates (a boost
tier changed) are printed as discord.py applied them.

usage: discordpy_bot.py API_BASE GATEWAY_URL TOKEN
"""
import io
import sys

import discord
import yarl

api, gateway, token = sys.argv[1:4]
discord.http.Route.BASE = api
discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)

intents = discord.Intents.default()
intents.message_content = True
client = discord.Client(intents=intents)


@client.event
async def on_ready():
    print(f"READY {client.user.name} guilds={len(client.guilds)}", flush=True)


@client.event
async def on_guild_update(before, after):
    # The emulator's GUILD_UPDATE, as discord.py applies it to its cached guild.
    print(f"GUILD_UPDATE {after.id} tier {before.premium_tier}->{after.premium_tier}", flush=True)


@client.event
async def on_message(message):
    if message.author.bot or not message.content.startswith("!reverse"):
        return
    attachment = message.attachments[0]
    data = await attachment.read()
    try:
        await client.get_channel(3001).send(file=discord.File(io.BytesIO(data), filename="denied.bin"))
        print("SENT despite the denied permission", flush=True)
    except discord.Forbidden as error:
        print(f"FORBIDDEN {error.status} {error.code}", flush=True)
    try:
        await message.channel.send(file=discord.File(io.BytesIO(bytes(10 * 1024 * 1024 + 1)), filename="big.bin"))
        print("SENT despite the size", flush=True)
    except discord.HTTPException as error:
        print(f"TOO LARGE {error.status} {error.code}", flush=True)
    await message.channel.send(
        f"reversed {attachment.filename} ({len(data)} bytes) for {message.author.name}",
        file=discord.File(io.BytesIO(data[::-1]), filename="reversed.bin"),
    )
    print("REPLIED", flush=True)
    await client.close()


client.run(token, log_handler=None)
